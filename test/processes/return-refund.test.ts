/**
 * return-refund on the real engine with every worker running: the paths of PROCESSES.md §5 from
 * the return request to the end, checked through the engine (tasks, flow nodes, instance state)
 * and through PostgreSQL (`refunds`, `returns`, `order_events`).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createOrderEventRepository } from '../../lib/repositories/order-events.ts'
import { createOrderRepository } from '../../lib/repositories/orders.ts'
import { createRefundRepository } from '../../lib/repositories/refunds.ts'
import { createReturnRepository } from '../../lib/repositories/returns.ts'
import { seedDemoCatalogue } from '../../lib/seed.ts'
import { completeUserTask, correlate, eventually, orderState, search, uniqueOrderNumber, waitUserTask, withWorkers, type UserTask } from '../helpers.ts'

const { db, start } = withWorkers(test)
const events = createOrderEventRepository(db)
const orders = createOrderRepository(db)
const refunds = createRefundRepository(db)
const returns = createReturnRepository(db)

test.before(async () => {
  await seedDemoCatalogue(db)
})

interface Item {
  sku: string
  productName: string
  quantity: number
  unitPrice: number
}

const patchPanels: Item = { sku: 'PP-24C6', productName: 'Patch panel 配线面板 24-port Cat6', quantity: 2, unitPrice: 260 }
const fibrePanels: Item = { sku: 'PP-LC48', productName: 'Fibre patch panel 光纤配线面板 48-port LC', quantity: 2, unitPrice: 980 }
const completeSet: Item = { sku: 'SET-EQR', productName: 'Equipment room complete set 机房成套设备', quantity: 1, unitPrice: 168000 }

const today = () => new Date().toISOString().slice(0, 10)

/**
 * A delivered shop order (the `returns` and `refunds` rows refer to it), paid `paid` (its
 * `payments` row; by default the items' value), and a return of its items.
 */
async function newReturn(items: Item[], request: { reason?: string; reasonKind?: string } = {}, paid = items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0)) {
  const orderNumber = uniqueOrderNumber('SO')
  const returnNumber = `RT-${orderNumber.slice(3)}`
  await orders.upsert({
    order_number: orderNumber,
    channel: 'shop',
    customer_name: 'Zhang Wei',
    priority: 'normal',
    status: 'delivered',
    data: {
      customer: { name: 'Zhang Wei', phone: '+86 138 0000 0004' },
      deliveryAddress: { line1: '12 Beijing Road', city: 'Guangzhou', postalCode: '510030', country: 'CN' },
    },
    process_instance_key: null,
  })
  if (paid > 0) await db('payments').insert({ order_number: orderNumber, kind: 'full', amount: paid, received_at: new Date().toISOString(), message_id: `order-placed:${orderNumber}` })
  const returnRequest = {
    returnNumber,
    orderNumber,
    items,
    reason: request.reason ?? 'does not fit the rack',
    reasonKind: request.reasonKind ?? 'customer-own-reason',
    receivedAt: `${today()}T09:00:00+08:00`,
    tagsAndPackagingIntact: true,
    amountPaid: paid,
  }
  const key = await start('return-refund', orderNumber, { returnRequest, returnNumber })
  return { key, orderNumber, returnNumber, returnRequest }
}

/** Waits for an open user task `elementId` of the instance. */
const openTask = waitUserTask

async function completeTask(key: string, elementId: string, variables: Record<string, unknown>): Promise<UserTask> {
  const task = await openTask(key, elementId)
  await completeUserTask(task, variables)
  return task
}

async function flowNodeActive(key: string, elementId: string) {
  await eventually(`${elementId} active in instance ${key}`, async () =>
    (await search.flowNodes(key)).some((n) => n.flowNodeId === elementId && n.state === 'ACTIVE'),
  )
}

/** A message of one return: the order number (business key) and its return number (one order may have several returns). */
async function publish(name: string, r: { orderNumber: string; returnNumber: string }, variables: Record<string, string> = {}) {
  await correlate(name, r.orderNumber, { correlationKeys: { returnNumber: r.returnNumber }, variables })
}

async function completed(key: string): Promise<string[]> {
  await eventually(`instance ${key} COMPLETED`, async () => (await search.processInstanceState(key)) === 'COMPLETED')
  const nodes = await search.flowNodes(key)
  assert.ok(nodes.some((n) => /EndEvent$/.test(n.type) && n.state === 'COMPLETED'), `instance ${key} ended at an end event`)
  return nodes.map((n) => n.flowNodeId)
}

const approve = (returnMethod = 'drop-off') => ({
  returnReview: { decision: 'approve', returnMethod, costsExplained: true, comment: 'within the rules' },
})

/** The inspection form's variables: every item received in the given quantity. */
function inspection(items: Item[], itemState: string, { received, tags = true }: { received?: number[]; tags?: boolean } = {}) {
  return {
    inspection: {
      items: items.map((item, i) => ({
        sku: item.sku,
        productName: item.productName,
        quantityRequested: item.quantity,
        quantityReceived: received?.[i] ?? item.quantity,
        unitPrice: item.unitPrice,
      })),
      itemState,
      tagsAndPackagingIntact: tags,
      reasonConfirmed: true,
      inspectedOn: `${today()}T10:00:00+08:00`,
      findings: `checked: ${itemState}`,
    },
  }
}

/** Review approved → pickup → goods received (message) → inspected. */
async function approvedAndInspected(r: Awaited<ReturnType<typeof newReturn>>, inspected: Record<string, unknown>, returnMethod = 'drop-off') {
  const review = await completeTask(r.key, 'REVIEW_RETURN', approve(returnMethod))
  assert.equal(review.candidateGroup, ['customer-service'])
  await flowNodeActive(r.key, 'RETURN_RECEIVED')
  await publish('return-received', r, { returnReceivedAt: new Date().toISOString() })
  const inspect = await completeTask(r.key, 'INSPECT_RETURN', inspected)
  assert.equal(inspect.candidateGroup, ['warehouse'])
}

const steps = async (orderNumber: string) =>
  (await events.listForOrder(orderNumber)).map((e) => [e.step, e.element_id, e.outcome])

test('full refund: approved → courier pickup → received → inspected intact → full refund → recorded → customer told', async () => {
  const r = await newReturn([patchPanels])
  await approvedAndInspected(r, inspection([patchPanels], 'intact'), 'courier-pickup')
  const path = await completed(r.key)
  assert.equal(path, [
    'RETURN_REQUESTED', 'ASSESS_ELIGIBILITY', 'REVIEW_MERGE', 'REVIEW_RETURN', 'NOTIFY_REVIEW_RESULT', 'REVIEW_DECISION',
    'ARRANGE_PICKUP', 'RETURN_RECEIVED', 'INSPECT_RETURN', 'DECIDE_REFUND', 'CALCULATE_REFUND', 'REFUND_DUE',
    'REFUND_PAYMENT', 'RECORD_MERGE', 'RECORD_RETURN', 'NOTIFY_RESULT', 'RETURN_COMPLETED',
  ])

  const rows = await refunds.listForOrder(r.orderNumber)
  assert.is(rows.length, 1)
  assert.is(rows[0].return_number, r.returnNumber)
  assert.is(rows[0].idempotency_key, `return:${r.returnNumber}`)
  assert.is(Number(rows[0].amount), 520)
  assert.is(rows[0].status, 'succeeded')
  assert.match(rows[0].provider_reference ?? '', /^sbx_rf_[0-9a-f]{16}$/)

  assert.equal(await steps(r.orderNumber), [
    ['customer-notify', 'NOTIFY_REVIEW_RESULT', 'notified'],
    ['return-pickup', 'ARRANGE_PICKUP', 'courier-pickup'],
    ['payment-refund', 'REFUND_PAYMENT', 'refunded'],
    ['returns-record', 'RECORD_RETURN', 'refunded'],
    ['customer-notify', 'NOTIFY_RESULT', 'notified'],
  ])
  const pickup = (await events.listForOrder(r.orderNumber))[1].details as { result: { pickup: { carrier: string; trackingNumber: string } } }
  assert.is(pickup.result.pickup.carrier, 'sandbox-carrier')
  assert.match(pickup.result.pickup.trackingNumber, /^SBX[0-9A-F]{12}$/i)

  const row = await returns.find(r.returnNumber)
  assert.is(row?.status, 'refunded')
  const decision = row?.refund_decision as { refund: string; refundPercentage: number; shippingPaidBy: string; refunded: { by: string; amount: number } }
  assert.is(decision.refund, 'full')
  assert.is(decision.refundPercentage, 100)
  assert.is(decision.shippingPaidBy, 'customer')
  assert.equal(decision.refunded.by, 'provider')
  assert.is(decision.refunded.amount, 520)
  assert.equal(await orderState(db, r.orderNumber), { status: 'refunded', classification: null, reviewOutcome: null })
})

test('partial refund: wrong item sent but damaged by the customer, one of two received → 50 % of what came back', async () => {
  const r = await newReturn([fibrePanels], { reason: 'wrong model delivered', reasonKind: 'wrong-item' })
  await approvedAndInspected(r, inspection([fibrePanels], 'damaged-by-customer', { received: [1] }))
  const path = await completed(r.key)
  assert.ok(path.includes('REFUND_PAYMENT'))
  assert.is(path.at(-1), 'RETURN_COMPLETED')

  const rows = await refunds.listForOrder(r.orderNumber)
  assert.is(rows.length, 1)
  assert.is(Number(rows[0].amount), 490) // 1 × 980 × 50 %
  assert.is(rows[0].status, 'succeeded')

  assert.equal(await steps(r.orderNumber), [
    ['customer-notify', 'NOTIFY_REVIEW_RESULT', 'notified'],
    ['return-pickup', 'ARRANGE_PICKUP', 'drop-off'],
    ['payment-refund', 'REFUND_PAYMENT', 'refunded'],
    ['returns-record', 'RECORD_RETURN', 'refunded'],
    ['customer-notify', 'NOTIFY_RESULT', 'notified'],
  ])
  const row = await returns.find(r.returnNumber)
  const decision = row?.refund_decision as { refund: string; refundPercentage: number; shippingPaidBy: string }
  assert.equal([decision.refund, decision.refundPercentage, decision.shippingPaidBy], ['partial', 50, 'seller'])
  assert.equal((row?.items as { quantityReceived: number }[]).map((i) => i.quantityReceived), [1])
  assert.equal(await orderState(db, r.orderNumber), { status: 'partially-refunded', classification: null, reviewOutcome: null })
})

test('no refund: goods damaged by the customer → no payment-refund, recorded as closed, customer told', async () => {
  const r = await newReturn([patchPanels])
  await approvedAndInspected(r, inspection([patchPanels], 'damaged-by-customer'), 'site-visit')
  const path = await completed(r.key)
  assert.not.ok(path.includes('REFUND_PAYMENT'))
  assert.equal(path.slice(-6), ['CALCULATE_REFUND', 'REFUND_DUE', 'RECORD_MERGE', 'RECORD_RETURN', 'NOTIFY_RESULT', 'RETURN_COMPLETED'])

  assert.is((await refunds.listForOrder(r.orderNumber)).length, 0)
  assert.equal(await steps(r.orderNumber), [
    ['customer-notify', 'NOTIFY_REVIEW_RESULT', 'notified'],
    ['return-pickup', 'ARRANGE_PICKUP', 'site-visit'],
    ['returns-record', 'RECORD_RETURN', 'closed'],
    ['customer-notify', 'NOTIFY_RESULT', 'notified'],
  ])
  const row = await returns.find(r.returnNumber)
  assert.is(row?.status, 'closed')
  const decision = row?.refund_decision as { refund: string; refundAmount: unknown; refunded: { by: string } }
  assert.is(decision.refund, 'none')
  assert.is(Number(decision.refundAmount), 0)
  assert.is(decision.refunded.by, 'none')
  assert.equal(await orderState(db, r.orderNumber), { status: 'returned', classification: null, reviewOutcome: null })
})

test('rejected return: the customer is told why and the instance ends at Return rejected', async () => {
  const r = await newReturn([patchPanels])
  await completeTask(r.key, 'REVIEW_RETURN', {
    returnReview: { decision: 'reject', rejectionReason: 'the return window of 7 days has passed' },
  })
  const path = await completed(r.key)
  assert.equal(path.slice(-3), ['NOTIFY_REVIEW_RESULT', 'REVIEW_DECISION', 'RETURN_REJECTED'])
  assert.not.ok(path.includes('ARRANGE_PICKUP'))

  assert.is((await refunds.listForOrder(r.orderNumber)).length, 0)
  assert.is(await returns.find(r.returnNumber), undefined)
  const rows = await events.listForOrder(r.orderNumber)
  assert.equal(rows.map((e) => [e.step, e.element_id, e.outcome]), [['customer-notify', 'NOTIFY_REVIEW_RESULT', 'notified']])
  const notice = await db('notifications').where({ order_number: r.orderNumber }).first()
  assert.is(notice?.template, 'return-review-result')
  assert.is(notice?.payload.decision, 'reject')
  assert.is(notice?.payload.rejectionReason, 'the return window of 7 days has passed')
  assert.equal(await orderState(db, r.orderNumber), { status: 'delivered', classification: null, reviewOutcome: null }, 'a rejected return leaves the order as it was')
})

test('ask for more information: the customer replies, the return is reviewed again and approved', async () => {
  const r = await newReturn([patchPanels], { reason: 'defective', reasonKind: 'quality-problem' })
  const first = await completeTask(r.key, 'REVIEW_RETURN', {
    returnReview: { decision: 'ask-info', infoRequested: 'Please send a photo of the defective port' },
  })
  await flowNodeActive(r.key, 'AWAIT_REPLY')
  await publish('customer-replied', r, { customerReply: 'photo attached: port 7 has a bent pin' })

  const second = await eventually('the second Review return task', async () => {
    const tasks = await search.userTasks(r.key, 'REVIEW_RETURN')
    return tasks.find((task) => task.key !== first.key)
  })
  await completeUserTask(second, approve())
  await flowNodeActive(r.key, 'RETURN_RECEIVED')
  await publish('return-received', r)
  await completeTask(r.key, 'INSPECT_RETURN', inspection([patchPanels], 'defective'))
  const path = await completed(r.key)
  assert.equal(path.filter((id) => id === 'REVIEW_RETURN').length, 2)
  assert.equal(path.filter((id) => id === 'NOTIFY_REVIEW_RESULT').length, 2)
  assert.ok(path.includes('CUSTOMER_REPLIED'))
  assert.not.ok(path.includes('REPLY_TIMEOUT'))

  const refundRows = await refunds.listForOrder(r.orderNumber)
  assert.is(refundRows.length, 1)
  assert.is(Number(refundRows[0].amount), 520)
  assert.equal(await steps(r.orderNumber), [
    ['customer-notify', 'NOTIFY_REVIEW_RESULT', 'notified'],
    ['customer-notify', 'NOTIFY_REVIEW_RESULT', 'notified'],
    ['return-pickup', 'ARRANGE_PICKUP', 'drop-off'],
    ['payment-refund', 'REFUND_PAYMENT', 'refunded'],
    ['returns-record', 'RECORD_RETURN', 'refunded'],
    ['customer-notify', 'NOTIFY_RESULT', 'notified'],
  ])
  const notices = await db('notifications').where({ order_number: r.orderNumber }).orderBy('id')
  assert.equal(notices.map((n) => [n.template, n.payload.decision ?? n.payload.refund]), [
    ['return-review-result', 'ask-info'],
    ['return-review-result', 'approve'],
    ['return-completed', 'full'],
  ])
  const decision = (await returns.find(r.returnNumber))?.refund_decision as { shippingPaidBy: string }
  assert.is(decision.shippingPaidBy, 'seller')
  assert.equal(await orderState(db, r.orderNumber), { status: 'refunded', classification: null, reviewOutcome: null })
})

test('refund declined by the provider (amount > 50000) → finance resolves it by hand, recorded once', async () => {
  const r = await newReturn([completeSet], { reason: 'cabinet door cracked on arrival', reasonKind: 'quality-problem' })
  await approvedAndInspected(r, inspection([completeSet], 'defective'))
  const task = await openTask(r.key, 'REFUND_FAILED')
  assert.equal(task.candidateGroup, ['finance'])

  const declined = await refunds.listForOrder(r.orderNumber)
  assert.is(declined.length, 1)
  assert.is(Number(declined[0].amount), 168000)
  assert.is(declined[0].status, 'declined')
  assert.ok(declined[0].failure_reason, 'the decline reason is kept')

  await completeUserTask(task, {
    refundFailure: { resolution: 'refunded-manually', amountRefunded: 168000, reference: 'BT-20261124-001', comment: 'refunded by bank transfer' },
  })
  const path = await completed(r.key)
  assert.equal(path.slice(-7), ['REFUND_PAYMENT', 'REFUND_DECLINED', 'REFUND_FAILED', 'RECORD_MERGE', 'RECORD_RETURN', 'NOTIFY_RESULT', 'RETURN_COMPLETED'])

  const rows = await refunds.listForOrder(r.orderNumber)
  assert.is(rows.length, 1, 'the provider was asked once: no second refunds row')
  assert.is(rows[0].status, 'declined')
  assert.equal(await steps(r.orderNumber), [
    ['customer-notify', 'NOTIFY_REVIEW_RESULT', 'notified'],
    ['return-pickup', 'ARRANGE_PICKUP', 'drop-off'],
    ['payment-refund', 'REFUND_PAYMENT', 'declined'],
    ['returns-record', 'RECORD_RETURN', 'refunded'],
    ['customer-notify', 'NOTIFY_RESULT', 'notified'],
  ])
  const row = await returns.find(r.returnNumber)
  assert.is(row?.status, 'refunded')
  const decision = row?.refund_decision as { refunded: { by: string; amount: number; manualReference: string; declineReason: string } }
  assert.is(decision.refunded.by, 'manual')
  assert.is(decision.refunded.amount, 168000)
  assert.is(decision.refunded.manualReference, 'BT-20261124-001')
  assert.ok(decision.refunded.declineReason)
  assert.equal(await orderState(db, r.orderNumber), { status: 'refunded', classification: null, reviewOutcome: null })
})

test('a refund is at most what the payments hold: 19.99 paid for a return valued 520 → 19.99 refunded, the order refunded', async () => {
  const r = await newReturn([patchPanels], { reasonKind: 'defective' }, 19.99)
  await approvedAndInspected(r, inspection([patchPanels], 'defective'))
  await completed(r.key)
  const rows = await refunds.listForOrder(r.orderNumber)
  assert.equal(rows.map((row) => [row.amount, row.status]), [['19.99', 'succeeded']])
  assert.equal(await orderState(db, r.orderNumber), { status: 'refunded', classification: null, reviewOutcome: null })
})

test('a full refund with nothing paid never closes silently: finance is told why (REFUND_FAILED), no refund row', async () => {
  const r = await newReturn([patchPanels], { reasonKind: 'defective' }, 0)
  await approvedAndInspected(r, inspection([patchPanels], 'defective'))
  const task = await openTask(r.key, 'REFUND_FAILED')
  assert.equal(task.candidateGroup, ['finance'])
  const { refundDeclineReason: reason } = await search.variables(r.key)
  assert.is(reason, `nothing to refund on order ${r.orderNumber}: paid 0.00 (payments), already refunded 0.00, asked 0.00`)
  assert.equal(await refunds.listForOrder(r.orderNumber), [])
  await completeUserTask(task, { refundFailure: { resolution: 'not-refunded', comment: 'nothing was paid: the order was a free replacement' } })
  const path = await completed(r.key)
  assert.equal(path.slice(-7), ['REFUND_PAYMENT', 'REFUND_DECLINED', 'REFUND_FAILED', 'RECORD_MERGE', 'RECORD_RETURN', 'NOTIFY_RESULT', 'RETURN_COMPLETED'])
  assert.equal((await steps(r.orderNumber)).filter(([step]) => step === 'payment-refund'), [['payment-refund', 'REFUND_PAYMENT', 'nothing-to-refund']])
  assert.is((await returns.find(r.returnNumber))?.status, 'closed')
  assert.equal(await orderState(db, r.orderNumber), { status: 'returned', classification: null, reviewOutcome: null })
})

test.run()
