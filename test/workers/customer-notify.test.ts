import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { JobContext } from '../../lib/worker.ts'
import { createHandler, errorCodes, payloadFor, type CustomerNotifyVariables } from '../../workers/customer-notify.ts'
import { notifyFakes } from './notify-fakes.ts'

function fakes(options: { failSends?: number } = {}) {
  const orders = {
    find: async (orderNumber: string) =>
      orderNumber === 'SO-2026-0007' ? { order_number: orderNumber, customer_name: 'Li Wei', data: { customer: { name: 'Li Wei', phone: '138 0000 0000' } } } : undefined,
  }
  const customers = {
    findByName: async (name: string) => (name === 'Li Wei' ? { customer_number: 'C-001', name, email: 'li.wei@example.com', phone: null } : undefined),
  }
  return notifyFakes({ ...options, extra: { orders, customers } })
}

const job = (variables: CustomerNotifyVariables, notice: string, key = '301', elementId = 'NOTIFY_SHIPPED'): JobContext<CustomerNotifyVariables> => ({
  key,
  type: 'customer-notify',
  processInstanceKey: '8001',
  bpmnProcessId: 'shipment',
  elementId,
  elementInstanceKey: '8002',
  retries: 3,
  customHeaders: { notice },
  variables,
})

const shipped: CustomerNotifyVariables = {
  order: { orderNumber: 'SO-2026-0001', customer: { name: 'Li Wei', phone: '139 1111 2222' }, internalNote: 'not for the customer' },
  shipment: { orderNumber: 'SO-2026-0001', carrier: 'SF Express', trackingNumber: 'SF1234567890', expectedDeliveryDate: '2026-11-27', grossWeightKg: 12 },
}

test('no diagram catches an error from customer-notify', () => {
  assert.equal(errorCodes, [])
})

test('the dispatch notice tells the customer the carrier and tracking number (D2 三.3(1), D3 6)', async () => {
  const { rows, steps, sent, deps } = fakes()
  const outcome = await createHandler(deps)(job(shipped, 'shipment-dispatched'))
  assert.equal(outcome, { kind: 'complete', variables: {} })
  assert.equal(sent, [
    {
      idempotencyKey: '8001:NOTIFY_SHIPPED:8002',
      recipient: { customerId: 'C-001', name: 'Li Wei', email: 'li.wei@example.com', phone: '139 1111 2222' },
      template: 'shipment-dispatched',
      payload: { orderNumber: 'SO-2026-0001', carrier: 'SF Express', trackingNumber: 'SF1234567890', expectedDeliveryDate: '2026-11-27' },
    },
  ])
  assert.is(rows[0].recipient, 'customer:C-001')
  assert.is(rows[0].status, 'sent')
  assert.is(steps[0].outcome, 'notified')
  assert.is(steps[0].key.clause, 'D2 三.3(1)')
  assert.is(steps[0].key.order_number, 'SO-2026-0001')
})

test('a return notice reaches the customer of the stored order', async () => {
  const { sent, steps, deps } = fakes()
  const variables = {
    returnRequest: { returnNumber: 'RT-2026-0042', orderNumber: 'SO-2026-0007' },
    returnReview: { decision: 'reject', rejectionReason: 'tags removed', comment: 'internal' },
  }
  await createHandler(deps)(job(variables, 'return-review-result', '302', 'NOTIFY_REVIEW_RESULT'))
  assert.equal(sent[0].recipient, { customerId: 'C-001', name: 'Li Wei', email: 'li.wei@example.com', phone: '138 0000 0000' })
  assert.equal(sent[0].payload, { orderNumber: 'SO-2026-0007', returnNumber: 'RT-2026-0042', decision: 'reject', rejectionReason: 'tags removed' })
  assert.is(steps[0].key.clause, 'D3 退货 3')
})

test('each notice of the diagrams gets its fields', () => {
  assert.equal(payloadFor('return-completed', { refundDecision: { refund: 'partial', refundPercentage: 50, shippingPaidBy: 'customer' }, refundAmount: 64.75 }), {
    refund: 'partial',
    refundAmount: 64.75,
    returnShippingPaidBy: 'customer',
  })
  assert.equal(payloadFor('order-information-needed', { orderConfirmation: { question: 'Which colour?' } }), { question: 'Which colour?' })
  assert.equal(payloadFor('order-declined', { declineApproval: { reason: 'capacity', decidedBy: 'GM' } }), { reason: 'capacity' })
  assert.equal(payloadFor('order-cancelled', { order: { payment: { amount: 129.5 } }, orderPaid: true }), { refundAmount: 129.5 })
  assert.equal(payloadFor('order-closed', { order: { payment: { amount: 10 } }, stockChoice: { choice: 'cancel' } }), { reason: 'out-of-stock', refundAmount: 10 })
  assert.equal(payloadFor('review-invitation', {}), {})
})

test('a job without an order number is a technical fault that says where to fix it', async () => {
  const { deps } = fakes()
  try {
    await createHandler(deps)(job({ order: null }, 'review-invitation'))
    assert.unreachable('must throw')
  } catch (error) {
    assert.match((error as Error).message, /shipment NOTIFY_SHIPPED: no order number \(order.orderNumber or shipment.orderNumber or returnRequest.orderNumber or serviceCase.orderNumber is missing\)/)
  }
})

test('a failed send is thrown, and the retry sends the same outbox row', async () => {
  const { rows, sent, deps } = fakes({ failSends: 1 })
  const handler = createHandler(deps)
  try {
    await handler(job(shipped, 'shipment-dispatched'))
    assert.unreachable('a failed send must be thrown')
  } catch (error) {
    assert.match((error as Error).message, /notification webhook answered 503/)
  }
  assert.is(rows[0].status, 'pending')
  await handler(job(shipped, 'shipment-dispatched'))
  assert.is(rows.length, 1)
  assert.is(rows[0].status, 'sent')
  assert.is(sent.length, 1)
})

test('a redelivered job notifies once and gets the same result', async () => {
  const { rows, steps, sent, deps } = fakes()
  const handler = createHandler(deps)
  const first = await handler(job(shipped, 'shipment-dispatched', '303'))
  const again = await handler(job(shipped, 'shipment-dispatched', '303'))
  assert.equal(again, first)
  assert.is(rows.length, 1)
  assert.is(steps.length, 1)
  assert.is(sent.length, 1)
})

test.run()
