import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createOrderEventRepository } from '../../lib/repositories/order-events.ts'
import { createOrderRepository } from '../../lib/repositories/orders.ts'
import { createShipmentRepository } from '../../lib/repositories/shipments.ts'
import { seedDemoCatalogue } from '../../lib/seed.ts'
import { calledInstance, completeUserTask, correlate, eventually, fireTimer, search, timerJob, uniqueOrderNumber, waitUserTask, withWorkers, orderState, type UserTask } from '../helpers.ts'

const { db, start: startInstance } = withWorkers(test)
const events = createOrderEventRepository(db)
const orders = createOrderRepository(db)
const shipments = createShipmentRepository(db)

test.before(async () => {
  await seedDemoCatalogue(db)
})

const chinaDate = (at: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(at)
const daysFromNow = (days: number) => chinaDate(new Date(Date.now() + days * 86400000))

/**
 * Shipment alone, as shop-order calls it (channel shop, already packed: no approval, no picking).
 * The `orders` row the shipment's rows refer to is created here: shop-order's inventory-check
 * creates it in a real run, and shipment has no step of its own that does.
 */
async function start(customerName = 'Zhang Wei') {
  const orderNumber = uniqueOrderNumber('SO')
  const order = {
    orderNumber,
    channel: 'shop',
    customer: { name: customerName, phone: '+86 138 0000 0004' },
    deliveryAddress: 'Yuexiu District, Guangzhou',
    lines: [{ productName: 'Patch panel', sku: 'PP-24C6', quantity: 2, unitPrice: 260 }],
  }
  await orders.upsert({
    order_number: orderNumber, channel: 'shop', customer_name: customerName, priority: 'normal', status: 'stock-reserved', data: order, process_instance_key: null,
  })
  const shipment = { orderNumber, deliveryDate: daysFromNow(5), shippingMethod: 'express', deliveryAddress: order.deliveryAddress, packed: true }
  const key = await startInstance('shipment', orderNumber, { order, shipment })
  return { key, orderNumber }
}

const task = waitUserTask

const completeTask = (t: UserTask, variables: Record<string, unknown>) => completeUserTask(t, variables)

async function visited(key: string, what: string, done: (ids: string[]) => boolean) {
  return eventually(`${what} in ${key}`, async () => {
    const ids = (await search.flowNodes(key)).map((n) => n.flowNodeId)
    return done(ids) && ids
  })
}

/** Shipping instruction and documents: up to the wait for the signed receipt. */
async function shipUntilAwaitingDelivery(key: string) {
  const instruction = await task(key, 'SHIPPING_INSTRUCTION')
  assert.equal(instruction.candidateGroup, ['sales-assistant'])
  await completeTask(instruction, {
    shippingInstruction: {
      contractChecked: true, paymentChecked: true, dispatchDate: daysFromNow(0), deliveryDate: daysFromNow(5), deliveryAddress: 'Yuexiu District, Guangzhou',
    },
  })
  const documents = await task(key, 'SHIPPING_DOCUMENTS')
  assert.equal(documents.candidateGroup, ['logistics-clerk'])
  await completeTask(documents, {
    shippingDocuments: { shippingRequest: true, outboundSlip: true, carrierReceipt: true, sentAt: new Date().toISOString() },
  })
  await visited(key, 'the wait for the receipt', (ids) => ids.includes('AWAIT_DELIVERY'))
}

/** A type, not an interface: the message variables must be plain JSON. */
type Delivery = {
  deliveredOn: string
  signedBy: string
  damaged: boolean
  damageDescription?: string
}

/** The signed receipt: delivery-confirmed to every wait of the order for it. */
const confirmDelivery = (orderNumber: string, delivery: Delivery) => correlate('delivery-confirmed', orderNumber, { variables: { delivery }, all: true })

test('a shop shipment is booked, notified, documented and ends when delivery is confirmed', async () => {
  const { key, orderNumber } = await start()
  await shipUntilAwaitingDelivery(key)
  await confirmDelivery(orderNumber, { deliveredOn: daysFromNow(2), signedBy: 'Zhang Wei', damaged: false })

  await eventually('the shipment instance COMPLETED', async () => (await search.processInstanceState(key)) === 'COMPLETED')
  const ids = await visited(key, 'the end event', (i) => i.includes('SHIPMENT_DELIVERED'))
  assert.ok(!ids.includes('SHIPPING_APPROVAL'), 'a shop order needs no deputy GM approval')
  assert.ok(!ids.includes('PICK_AND_PACK'), 'a packed shop order is not picked again')
  assert.ok(!ids.includes('AFTER_SALES_CASE'))

  const [shipment] = await db('shipments').where({ order_number: orderNumber })
  assert.ok(shipment.tracking_number, 'the booking stored its tracking number')
  assert.is.not(shipment.carrier, 'pending')
  const rows = await events.listForOrder(orderNumber)
  assert.equal(rows.map((r) => [r.step, r.outcome, r.element_id]), [
    ['shipping-book', 'booked', 'BOOK_CARRIER'],
    ['customer-notify', 'notified', 'NOTIFY_SHIPPED'],
    ['order-status', 'delivered', 'SHIPMENT_DELIVERED'],
  ])
  assert.is(shipment.status, 'delivered')
  assert.equal(await orderState(db, orderNumber), { status: 'delivered', classification: null, reviewOutcome: null })
  const [notice] = await db('notifications').where({ order_number: orderNumber })
  assert.is(notice.template, 'shipment-dispatched')
  assert.is(notice.payload.trackingNumber, shipment.tracking_number)
})

test('goods delivered damaged → after-sales-case is called with a carrier claim and the shipment waits for it', async () => {
  const { key, orderNumber } = await start()
  await shipUntilAwaitingDelivery(key)
  await confirmDelivery(orderNumber, { deliveredOn: daysFromNow(2), signedBy: 'Zhang Wei', damaged: true, damageDescription: 'Front panel cracked' })

  await visited(key, 'AFTER_SALES_CASE entered', (ids) => ids.includes('AFTER_SALES_CASE'))
  const nodes = await search.flowNodes(key)
  assert.is(nodes.find((n) => n.flowNodeId === 'AFTER_SALES_CASE')?.state, 'ACTIVE')
  const child = await calledInstance(key, 'after-sales-case')
  assert.is(await search.processInstanceState(child), 'ACTIVE')
  const serviceCase = await eventually('the serviceCase variable of the case', async () =>
    (await search.variables(child)).serviceCase as { caseNumber: string; kind: string; carrierClaim: boolean; description: string; trackingNumber: string } | undefined,
  )
  assert.is(serviceCase.caseNumber, `AS-${orderNumber}`)
  assert.is(serviceCase.kind, 'damage')
  assert.is(serviceCase.carrierClaim, true)
  assert.is(serviceCase.description, 'Front panel cracked')
  assert.ok(serviceCase.trackingNumber)
  assert.is(await search.processInstanceState(key), 'ACTIVE')
  assert.is((await orderState(db, orderNumber)).status, 'shipped', 'delivered only once the damage is handled and the shipment ends')
})

test('the carrier refuses a recipient named "refuse" → Report shipping delay', async () => {
  const { key, orderNumber } = await start('Refuse Li')
  const instruction = await task(key, 'SHIPPING_INSTRUCTION')
  await completeTask(instruction, {
    shippingInstruction: {
      contractChecked: true, paymentChecked: true, dispatchDate: daysFromNow(0), deliveryDate: daysFromNow(5), deliveryAddress: 'Yuexiu District, Guangzhou',
    },
  })
  const report = await task(key, 'REPORT_DELAY')
  assert.equal(report.candidateGroup, ['logistics-clerk'])
  const ids = await visited(key, 'CARRIER_REFUSED and REPORT_DELAY', (i) => i.includes('CARRIER_REFUSED') && i.includes('REPORT_DELAY'))
  assert.ok(!ids.includes('NOTIFY_SHIPPED'))

  const [shipment] = await db('shipments').where({ order_number: orderNumber })
  assert.is(shipment.status, 'refused')
  assert.is(shipment.tracking_number, null)
  const rows = await events.listForOrder(orderNumber)
  assert.equal(rows.map((r) => [r.step, r.outcome, r.element_id]), [['shipping-book', 'refused', 'BOOK_CARRIER']])
})


test('no receipt by the expected delivery date → Delivery inquiry', async () => {
  const { key, orderNumber } = await start()
  const instruction = await task(key, 'SHIPPING_INSTRUCTION')
  await completeTask(instruction, {
    shippingInstruction: {
      contractChecked: true, paymentChecked: true, dispatchDate: daysFromNow(0), deliveryDate: daysFromNow(5), deliveryAddress: 'Yuexiu District, Guangzhou',
    },
  })
  await completeTask(await task(key, 'SHIPPING_DOCUMENTS'), {
    shippingDocuments: { shippingRequest: true, outboundSlip: true, carrierReceipt: true, sentAt: new Date().toISOString() },
  })
  // DELIVERY_DUE is due at the end of the carrier's expected delivery day, China time; the test
  // does not wait days for it: it reads the timer's due date and fires the timer through the job API.
  const [booked] = await eventually('the booked shipment', async () => {
    const rows = (await shipments.listForOrder(orderNumber)).filter((row) => row.expected_delivery_date)
    return rows.length > 0 && rows
  })
  const due = await timerJob(key, 'DELIVERY_DUE')
  assert.is(new Date(due.dueDate).getTime(), new Date(`${booked.expected_delivery_date}T23:59:59+08:00`).getTime(), 'due at the end of the expected delivery day')
  assert.ok(new Date(due.dueDate).getTime() > Date.now(), 'not due yet')
  assert.is((await search.processInstanceState(key)), 'ACTIVE')
  await fireTimer(due)
  await visited(key, 'the timer DELIVERY_DUE fired', (ids) => ids.includes('DELIVERY_INQUIRY'))
  const inquiry = await task(key, 'DELIVERY_INQUIRY')
  assert.equal(inquiry.candidateGroup, ['logistics-clerk'])
  await completeTask(inquiry, {
    deliveryInquiry: { finding: 'delivered', cause: 'Signed for at the reception', deliveredOn: daysFromNow(2), damaged: false, customerInformed: true },
  })
  await eventually('the shipment instance COMPLETED', async () => (await search.processInstanceState(key)) === 'COMPLETED')
  const ids = await visited(key, 'the end event', (i) => i.includes('SHIPMENT_DELIVERED'))
  assert.ok(ids.includes('DELIVERY_DUE') && ids.includes('INQUIRY_FINDING'))
  assert.ok(!ids.includes('DELIVERY_CONFIRMED'))
})

test.run()
