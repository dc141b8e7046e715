import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { seedDemoCatalogue } from '../../lib/seed.ts'
import { createOrderEventRepository } from '../../lib/repositories/order-events.ts'
import { createOrderRepository } from '../../lib/repositories/orders.ts'
import { calledInstance, completeUserTask, correlate, eventually, orderState, recordOrder, search, uniqueOrderNumber, waitUserTask, withWorkers, type UserTask } from '../helpers.ts'

const { db, start: startInstance } = withWorkers(test)
const events = createOrderEventRepository(db)
const orders = createOrderRepository(db)

test.before(async () => {
  await seedDemoCatalogue(db)
})

const chinaDate = (at: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(at)
const daysFromNow = (days: number) => chinaDate(new Date(Date.now() + days * 86400000))

function shopOrder(orderNumber: string, amount = 260) {
  return {
    orderNumber,
    channel: 'shop',
    customer: { name: 'Zhang Wei', phone: '+86 138 0000 0004' },
    lines: [{ productName: 'Patch panel 配线面板 24-port Cat6', sku: 'PP-24C6', quantity: 1, unitPrice: 260 }],
    deliveryAddress: 'Yuexiu District, Guangzhou',
    shippingMethod: 'express',
    deliveryDate: daysFromNow(5),
    payment: { amount, paidAt: new Date().toISOString() },
  }
}

/** autoConfirmDays 0: the receipt is confirmed automatically as soon as the shipment ends. */
async function start(orderPaid: boolean, amount?: number) {
  const orderNumber = uniqueOrderNumber('SO')
  const order = shopOrder(orderNumber, amount)
  await recordOrder(db, orderPaid ? order : { ...order, payment: undefined })
  const key = await startInstance('shop-order', orderNumber, { order, orderPaid, customerReplyDays: 3, autoConfirmDays: 0 })
  return { key, orderNumber }
}

/** The element ids of the instance once `last` completed. */
async function visited(key: string, what: string, last: string) {
  return eventually(`${what} in ${key}`, async () => {
    const nodes = await search.flowNodes(key)
    return nodes.some((n) => n.flowNodeId === last && n.state === 'COMPLETED') && nodes.map((n) => n.flowNodeId)
  })
}

const task = waitUserTask
const completeTask = (t: UserTask, variables: Record<string, unknown>) => completeUserTask(t, variables)

/** The shipment instance the SHIPMENT call activity started. */
const childShipment = (key: string) => calledInstance(key, 'shipment')

async function confirmAndPick(key: string) {
  await completeTask(await task(key, 'CONFIRM_ORDER'), {
    orderConfirmation: { itemsChecked: true, deliveryAddress: 'Yuexiu District, Guangzhou', outcome: 'confirmed' },
  })
  return task(key, 'PICK_QC_PACK')
}

test('a paid order in stock: confirm → stock → pick/qc/pack → shipment → automatic receipt → review invitation → settlement → COMPLETED', async () => {
  const { key, orderNumber } = await start(true)
  const pick = await confirmAndPick(key)
  assert.equal(pick.candidateGroup, ['warehouse'])
  assert.is((await orders.find(orderNumber))?.status, 'stock-reserved', 'inventory-check reserved the stock')
  await completeTask(pick, { packing: { allItemsPicked: true, qualityChecked: true, packed: true, packageCount: 1 } })

  const child = await childShipment(key)
  await completeTask(await task(child, 'SHIPPING_INSTRUCTION'), {
    shippingInstruction: { contractChecked: true, paymentChecked: true, dispatchDate: daysFromNow(0), deliveryDate: daysFromNow(5), deliveryAddress: 'Yuexiu District, Guangzhou' },
  })
  await completeTask(await task(child, 'SHIPPING_DOCUMENTS'), {
    shippingDocuments: { shippingRequest: true, outboundSlip: true, carrierReceipt: true, sentAt: new Date().toISOString() },
  })
  await eventually('the wait for delivery', async () => (await search.flowNodes(child)).some((n) => n.flowNodeId === 'AWAIT_DELIVERY'))
  await correlate('delivery-confirmed', orderNumber, { variables: { delivery: { deliveredOn: daysFromNow(2), signedBy: 'Zhang Wei', damaged: false } }, all: true })
  await eventually('the order delivered', async () => (await orderState(db, orderNumber)).status === 'delivered')
  assert.is((await db('shipments').where({ order_number: orderNumber }).first('status')).status, 'delivered')

  const settlement = await task(key, 'SETTLEMENT')
  assert.equal(settlement.candidateGroup, ['finance'])
  await completeTask(settlement, { settlement: { statementNumber: `ST-${orderNumber}`, settledOn: daysFromNow(0), amount: 260 } })
  await eventually('the order COMPLETED', async () => (await search.processInstanceState(key)) === 'COMPLETED')
  const ids = await visited(key, 'ORDER_COMPLETED', 'ORDER_COMPLETED')
  assert.ok(ids.includes('AUTO_CONFIRM') && ids.includes('INVITE_REVIEW') && ids.includes('ORDER_COMPLETED'))
  const rows = await events.listForOrder(orderNumber)
  assert.equal(rows.map((r) => r.step), ['inventory-check', 'shipping-book', 'customer-notify', 'order-status', 'customer-notify', 'order-status'])
  assert.equal(rows.filter((r) => r.step === 'order-status').map((r) => r.outcome), ['delivered', 'completed'])
  assert.equal(await orderState(db, orderNumber), { status: 'completed', classification: null, reviewOutcome: null })
  const notices = await db('notifications').where({ order_number: orderNumber }).orderBy('id')
  assert.equal(notices.map((n) => n.template), ['shipment-dispatched', 'review-invitation'])
})

test('an unpaid order cancelled before shipment is closed without refund', async () => {
  const { key, orderNumber } = await start(false)
  await eventually('the wait for payment', async () => (await search.flowNodes(key)).some((n) => n.flowNodeId === 'PAYMENT_RECEIVED'))
  await correlate('order-cancel-requested', orderNumber, { variables: { cancellation: { reason: 'changed my mind' } } })
  await eventually('the order COMPLETED (closed)', async () => (await search.processInstanceState(key)) === 'COMPLETED')
  const ids = await visited(key, 'UNPAID_ORDER_CLOSED', 'UNPAID_ORDER_CLOSED')
  assert.ok(!ids.includes('REFUND_ON_CANCEL'))
  assert.equal(await db('refunds').where({ order_number: orderNumber }), [])
  assert.equal(await orderState(db, orderNumber), { status: 'cancelled', classification: null, reviewOutcome: null })
})

test('a paid order cancelled before shipment (at Confirm order, before the stock check) is refunded exactly once and closed', async () => {
  const { key, orderNumber } = await start(true)
  await eventually('Confirm order reached', async () => (await search.flowNodes(key)).some((n) => n.flowNodeId === 'CONFIRM_ORDER'))
  await correlate('order-cancel-requested', orderNumber, { variables: { cancellation: { reason: 'found it cheaper' } } })
  await eventually('the order COMPLETED (cancelled)', async () => (await search.processInstanceState(key)) === 'COMPLETED')
  const ids = await visited(key, 'ORDER_CANCELLED', 'ORDER_CANCELLED')
  for (const id of ['RELEASE_ON_CANCEL', 'REFUND_ON_CANCEL', 'NOTIFY_CANCELLED', 'ORDER_CANCELLED']) assert.ok(ids.includes(id), id)
  assert.ok(!ids.includes('INVENTORY_CHECK'))

  assert.equal(await orderState(db, orderNumber), { status: 'cancelled', classification: null, reviewOutcome: null })
  const refunds = await db('refunds').where({ order_number: orderNumber })
  assert.is(refunds.length, 1)
  assert.is(refunds[0].status, 'succeeded')
  assert.is(refunds[0].idempotency_key, `cancellation:${orderNumber}`)
  assert.is(Number(refunds[0].amount), 260)
  const notices = await db('notifications').where({ order_number: orderNumber })
  assert.equal(notices.map((n) => [n.template, Number(n.payload.refundAmount)]), [['order-cancelled', 260]])
  const steps = (await db('order_events').where({ order_number: orderNumber }).orderBy('id')).map((r) => r.step)
  assert.equal(steps, ['reservation-release', 'payment-refund', 'customer-notify', 'order-status'])
})

test('a cancellation whose refund the provider declines goes to finance (CANCEL_REFUND_FAILED), not to an incident, and still ends ORDER_CANCELLED', async () => {
  // The sandbox payment provider declines refunds above 50000 (lib/clients/payment.ts).
  const { key, orderNumber } = await start(true, 60000)
  await eventually('Confirm order reached', async () => (await search.flowNodes(key)).some((n) => n.flowNodeId === 'CONFIRM_ORDER'))
  await correlate('order-cancel-requested', orderNumber, { variables: { cancellation: { reason: 'ordered twice' } } })

  const failed = await task(key, 'CANCEL_REFUND_FAILED')
  assert.equal(failed.candidateGroup, ['finance'])
  assert.equal(await search.incidents(key), [], 'no incident')
  const declined = await db('refunds').where({ order_number: orderNumber })
  assert.is(declined.length, 1)
  assert.is(declined[0].status, 'declined')
  assert.is(Number(declined[0].amount), 60000)

  await completeTask(failed, { refundFailure: { resolution: 'refunded-manually', amountRefunded: 60000, reference: 'BANK-TT-0042', comment: 'refunded by bank transfer' } })
  await eventually('the order COMPLETED (cancelled)', async () => (await search.processInstanceState(key)) === 'COMPLETED')
  const ids = await visited(key, 'ORDER_CANCELLED', 'ORDER_CANCELLED')
  for (const id of ['REFUND_ON_CANCEL_DECLINED', 'CANCEL_REFUND_FAILED', 'NOTIFY_CANCELLED', 'ORDER_CANCELLED']) assert.ok(ids.includes(id), id)
  assert.is((await db('refunds').where({ order_number: orderNumber })).length, 1, 'asked once, not retried')
  const steps = (await db('order_events').where({ order_number: orderNumber }).orderBy('id')).map((r) => [r.step, r.outcome])
  assert.equal(steps.filter(([step]) => step === 'payment-refund'), [['payment-refund', 'declined']])
  assert.equal((await db('notifications').where({ order_number: orderNumber })).map((n) => n.template), ['order-cancelled'])
  assert.equal(await orderState(db, orderNumber), { status: 'cancelled', classification: null, reviewOutcome: null })
})

test.run()
