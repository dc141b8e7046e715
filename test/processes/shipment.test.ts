import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createOrderEventRepository } from '../../lib/repositories/order-events.ts'
import { createOrderRepository } from '../../lib/repositories/orders.ts'
import { seedDemoCatalogue } from '../../lib/seed.ts'
import { eventually, rest, search, uniqueOrderNumber, withWorkers, type UserTask } from '../helpers.ts'

const { db, zeebe, start: startInstance } = withWorkers(test)
const events = createOrderEventRepository(db)
const orders = createOrderRepository(db)

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
  const key = await startInstance('shipment', { order, shipment })
  return { key, orderNumber }
}

async function task(key: string, elementId: string): Promise<UserTask> {
  const [found] = await eventually(`user task ${elementId} in ${key}`, async () => {
    const tasks = await search.userTasks(key, elementId)
    return tasks.length > 0 && tasks
  })
  return found
}

const completeTask = (t: UserTask, variables: Record<string, unknown>) => rest.post(`/v2/user-tasks/${t.key}/completion`, { variables })

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

const confirmDelivery = (orderNumber: string, delivery: Delivery) =>
  zeebe.publishMessage({ name: 'delivery-confirmed', correlationKey: orderNumber, variables: { delivery }, messageId: `delivery-${orderNumber}`, timeToLive: 0 })

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
  ])
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
  const child = await eventually('the after-sales-case instance', async () => {
    const found = await rest.post<{ items: { key: number; bpmnProcessId: string; state: string }[] }>('/v1/process-instances/search', {
      filter: { parentKey: Number(key) },
    })
    return found.items.find((i) => i.bpmnProcessId === 'after-sales-case')
  })
  assert.is(child.state, 'ACTIVE')
  const serviceCase = await eventually('the serviceCase variable of the case', async () => {
    const vars = await rest.post<{ items: { name: string; value: string }[] }>('/v1/variables/search', {
      filter: { processInstanceKey: child.key, scopeKey: child.key, name: 'serviceCase' },
    })
    const found = vars.items.find((v) => v.name === 'serviceCase')
    return found && JSON.parse(found.value)
  })
  assert.is(serviceCase.caseNumber, `AS-${orderNumber}`)
  assert.is(serviceCase.kind, 'damage')
  assert.is(serviceCase.carrierClaim, true)
  assert.is(serviceCase.description, 'Front panel cracked')
  assert.ok(serviceCase.trackingNumber)
  assert.is(await search.processInstanceState(key), 'ACTIVE')
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
  const documents = await task(key, 'SHIPPING_DOCUMENTS')
  const [booked] = await db('shipments').where({ order_number: orderNumber }).select('carrier', 'tracking_number')
  // The carrier's expected date has passed by the time the documents are done: the shipment, as the
  // booking left it, is handed back with yesterday as that date, so DELIVERY_DUE is due at once.
  // (Pinning the engine clock instead made this test wait on the engine's timer scheduling.)
  await completeTask(documents, {
    shippingDocuments: { shippingRequest: true, outboundSlip: true, carrierReceipt: true, sentAt: new Date().toISOString() },
    shipment: {
      orderNumber, deliveryDate: daysFromNow(5), shippingMethod: 'express', deliveryAddress: 'Yuexiu District, Guangzhou', packed: true,
      dispatchDate: daysFromNow(0), carrier: booked.carrier, trackingNumber: booked.tracking_number, expectedDeliveryDate: daysFromNow(-1),
    },
  })
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
