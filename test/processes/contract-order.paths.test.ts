/** contract-order paths on the real engine: every branch a user or a message decides, driven end to end. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createOrderEventRepository } from '../../lib/repositories/order-events.ts'
import { createOrderRepository } from '../../lib/repositories/orders.ts'
import { createRefundRepository } from '../../lib/repositories/refunds.ts'
import { demoContractOrder, demoNonRegularContractOrder, seedDemoCatalogue } from '../../lib/seed.ts'
import { createPurchaseRequestRepository } from '../../lib/repositories/purchase-requests.ts'
import { calledInstance, completeUserTask, correlate, eventually, orderState, search, uniqueOrderNumber, waitUserTask, withWorkers, type UserTask } from '../helpers.ts'
import { completeNth, plan, produceAndPass, receiveAndPass } from './production-steps.ts'

const { db, start: startInstance } = withWorkers(test)
const events = createOrderEventRepository(db)
const orders = createOrderRepository(db)
const refunds = createRefundRepository(db)
const purchaseRequests = createPurchaseRequestRepository(db)

test.before(async () => {
  await seedDemoCatalogue(db)
})

/** A regular order of a seeded SKU with plenty of stock (PP-24C6, 150 on hand). */
function regularOrder(orderNumber: string) {
  return { orderNumber, ...demoContractOrder() }
}

/** A non-regular order (technical files incomplete) of a catalogued special product. */
function nonRegularOrder(orderNumber: string) {
  return { orderNumber, ...demoNonRegularContractOrder() }
}

async function start(make: (orderNumber: string) => Record<string, unknown>) {
  const orderNumber = uniqueOrderNumber('CP')
  return { key: await startInstance('contract-order', orderNumber, { order: make(orderNumber) }), orderNumber }
}

const openUserTasks = (key: string, elementId: string) => search.userTasks(key, elementId)

const waitTask = waitUserTask

async function completeTask(key: string, elementId: string, variables: Record<string, unknown>): Promise<UserTask> {
  const task = await waitTask(key, elementId)
  await completeUserTask(task, variables)
  return task
}

async function reached(key: string, elementId: string, state?: string) {
  return eventually(`${elementId}${state ? ` ${state}` : ''} in instance ${key}`, async () => {
    const nodes = await search.flowNodes(key)
    return nodes.some((n) => n.flowNodeId === elementId && (!state || n.state === state)) && nodes
  })
}

async function visited(key: string) {
  return (await search.flowNodes(key)).map((n) => n.flowNodeId)
}

/** Correlates a message to the order (business key), retried until the order waits for it. */
const publish = (name: string, orderNumber: string, variables: Record<string, unknown> = {}) => correlate(name, orderNumber, { variables })

const instanceState = (key: string, state: string) =>
  eventually(`instance ${key} ${state}`, async () => (await search.processInstanceState(key)) === state)

const childInstance = (parentKey: string) => calledInstance(parentKey, 'shipment')

const steps = async (orderNumber: string) => (await events.listForOrder(orderNumber)).map((r) => `${r.step}:${r.outcome}`)

const feasibleWorkshopReview = { workshopReview: { deliveryDate: '2027-03-01', decision: 'feasible', note: 'capacity free' } }

async function draftContract(key: string, orderNumber: string, amount = 520) {
  await completeTask(key, 'DRAFT_CONTRACT', {
    contract: { contractNumber: `HT-${orderNumber}`, amount, currency: 'CNY', paymentTerms: 'full payment before production' },
    paymentCollection: { remindOn: '2027-06-01' },
  })
}

/** Contract signed and paid: the contract becomes effective. The payment is on record as POST /orders/{n}/payments records it. */
async function signAndPay(key: string, orderNumber: string, amount = 520) {
  await reached(key, 'CONTRACT_SIGNED')
  await publish('contract-signed', orderNumber)
  await reached(key, 'PAYMENT_RECEIVED')
  await db('payments').insert({ order_number: orderNumber, kind: 'full', amount, received_at: new Date().toISOString(), message_id: `payment-received:${orderNumber}:test` })
  await publish('payment-received', orderNumber, { payment: { amount, currency: 'CNY' } })
}

/** The order's status, classification and review outcome once the process got there. */
async function stands(orderNumber: string, status: string, classification: string | null, reviewOutcome: string | null) {
  await eventually(`order ${orderNumber} ${status}`, async () => (await orderState(db, orderNumber)).status === status)
  assert.equal(await orderState(db, orderNumber), { status, classification, reviewOutcome })
}

/** The shipment instance `child` of the order, from the shipping instruction to the delivery confirmed. */
async function shipAndDeliver(child: string, orderNumber: string) {
  await completeTask(child, 'SHIPPING_INSTRUCTION', {
    shippingInstruction: {
      contractChecked: true,
      paymentChecked: true,
      dispatchDate: '2026-12-01',
      deliveryDate: '2027-03-01',
      deliveryAddress: '88 Tianhe Road, Guangzhou 510620',
    },
  })
  await completeTask(child, 'SHIPPING_APPROVAL', { shippingApproval: { decision: 'approve', comment: 'contract paid, ship it' } })
  await completeTask(child, 'PICK_AND_PACK', { packing: { allItemsPresent: true, marked: true, packageCount: 1, grossWeightKg: 6 } })
  await completeTask(child, 'SHIPPING_DOCUMENTS', {
    shippingDocuments: { shippingRequest: true, outboundSlip: true, carrierReceipt: true, sentAt: '2026-12-01T10:00:00+08:00' },
  })
  await reached(child, 'AWAIT_DELIVERY')
  await publish('delivery-confirmed', orderNumber, { delivery: { deliveredOn: '2026-12-03', signedBy: 'Zhang San', damaged: false } })
  await instanceState(child, 'COMPLETED')
}

/** After delivery: invoice, balance received, finance settlement and customer follow-up → COMPLETED. */
async function invoiceAndSettle(key: string, orderNumber: string) {
  await reached(key, 'INVOICE_ISSUE', 'COMPLETED')
  await reached(key, 'AWAIT_BALANCE')
  await publish('payment-received', orderNumber, { payment: { amount: 0, currency: 'CNY' } })
  await completeTask(key, 'FINANCE_SETTLEMENT', { financeSettlement: { revenue: 520, cost: 300, receivablesCleared: true } })
  await completeTask(key, 'CUSTOMER_FOLLOW_UP', {
    followUp: { contactedOn: '2026-12-10', satisfaction: 'satisfied', feedback: 'arrived in good order' },
  })
  await instanceState(key, 'COMPLETED')
}

test('a regular order with stock goes review → quote → contract → production instruction → shipment → invoice → settlement → COMPLETED', async () => {
  const { key, orderNumber } = await start(regularOrder)

  await completeTask(key, 'WORKSHOP_REVIEW', feasibleWorkshopReview)
  await draftContract(key, orderNumber)
  await signAndPay(key, orderNumber)
  await reached(key, 'PRODUCTION_INSTRUCT', 'COMPLETED')
  await reached(key, 'INVENTORY_CHECK', 'COMPLETED')
  await stands(orderNumber, 'stock-reserved', 'regular', 'accepted')

  const child = await childInstance(key)
  await shipAndDeliver(child, orderNumber)
  await invoiceAndSettle(key, orderNumber)
  await stands(orderNumber, 'completed', 'regular', 'accepted')

  const path = (await reached(key, 'ORDER_COMPLETED', 'COMPLETED')).map((n) => n.flowNodeId)
  for (const id of ['REVIEW_NOTIFY', 'WORKSHOP_REVIEW', 'DATE_FEASIBLE', 'QUOTE_CALCULATE', 'DRAFT_CONTRACT', 'CONTRACT_SIGNED',
    'PAYMENT_RECEIVED', 'PRODUCTION_INSTRUCT', 'INVENTORY_CHECK', 'SHIPMENT', 'INVOICE_ISSUE', 'BALANCE_RECEIVED',
    'FINANCE_SETTLEMENT', 'CUSTOMER_FOLLOW_UP', 'ORDER_COMPLETED']) {
    assert.ok(path.includes(id), `visited ${id}`)
  }
  assert.not.ok(path.includes('PRODUCTION_FULFILMENT'), 'stock covered the order: no production')
  assert.not.ok(path.includes('NEGOTIATE_EXTENSION'))
  const childPath = (await reached(child, 'SHIPMENT_DELIVERED', 'COMPLETED')).map((n) => n.flowNodeId)
  for (const id of ['SHIPPING_INSTRUCTION', 'SHIPPING_APPROVAL', 'PICK_AND_PACK', 'BOOK_CARRIER', 'NOTIFY_SHIPPED', 'SHIPPING_DOCUMENTS', 'DELIVERY_CONFIRMED', 'SHIPMENT_DELIVERED']) {
    assert.ok(childPath.includes(id), `shipment visited ${id}`)
  }

  const done = await steps(orderNumber)
  for (const step of ['order-validate:complete', 'review-notify:notified', 'inventory-check']) {
    assert.ok(done.some((s) => s.startsWith(step)), `order_events has ${step}: ${done.join(', ')}`)
  }
  for (const step of ['quote-calculate', 'production-instruct', 'shipping-book', 'invoice-issue']) {
    assert.ok(done.some((s) => s.startsWith(`${step}:`)), `order_events has ${step}: ${done.join(', ')}`)
  }
  const reservations = await db('stock_reservations').where({ order_number: orderNumber })
  assert.is(reservations.length, 1)
  assert.is(reservations[0].sku, 'PP-24C6')
  const invoices = await db('invoices').where({ order_number: orderNumber })
  assert.is(invoices.length, 1)
  assert.is(Number(invoices[0].amount), 520)
  assert.is((await db('shipments').where({ order_number: orderNumber })).length, 1)
})

test('an order short of stock goes through production-fulfilment (group transfer, goods received, incoming QC pass, production, final QC) and on to shipment → COMPLETED', async () => {
  // ODF-288: 3 frames in stock (lib/seed.ts), 20 ordered → 17 short; a group company holds 20 of them.
  const shortOrder = (orderNumber: string) => ({
    ...regularOrder(orderNumber),
    lines: [{ sku: 'ODF-288', productName: 'Optical distribution frame 288-core', model: 'ODF-288-SC', quantity: 20 }],
  })
  const { key, orderNumber } = await start(shortOrder)
  await completeTask(key, 'WORKSHOP_REVIEW', feasibleWorkshopReview)
  await draftContract(key, orderNumber)
  await signAndPay(key, orderNumber)
  await reached(key, 'INVENTORY_CHECK', 'COMPLETED')
  assert.is((await orders.find(orderNumber))?.status, 'stock-short')

  const fulfilment = await calledInstance(key, 'production-fulfilment')
  const planTask = await completeNth(fulfilment, 'PRODUCTION_PLAN', plan([
    { material: 'ODF frame 288-core', model: 'ODF-288-SC', quantity: 17, requiredDate: '2027-01-10', supply: 'transfer-or-purchase' },
  ]))
  assert.equal(planTask.candidateGroup, ['production-manager'])
  const requests = await eventually('the purchase request', async () => {
    const rows = await purchaseRequests.listForOrder(orderNumber)
    return rows.length === 1 && rows
  })
  assert.equal([requests[0].sku, requests[0].source, requests[0].quantity], ['ODF-288', 'group-transfer', 17])
  await receiveAndPass(orderNumber, fulfilment, requests)
  await produceAndPass(fulfilment, orderNumber, 20)
  await instanceState(fulfilment, 'COMPLETED')

  const child = await calledInstance(key, 'shipment')
  await shipAndDeliver(child, orderNumber)
  await invoiceAndSettle(key, orderNumber)
  await stands(orderNumber, 'completed', 'regular', 'accepted')

  const path = (await reached(key, 'ORDER_COMPLETED', 'COMPLETED')).map((n) => n.flowNodeId)
  for (const id of ['INVENTORY_CHECK', 'PRODUCTION_FULFILMENT', 'FULFILMENT_MERGE', 'SHIPMENT', 'INVOICE_ISSUE', 'ORDER_COMPLETED']) {
    assert.ok(path.includes(id), `visited ${id}`)
  }
  const fulfilmentPath = (await search.flowNodes(fulfilment)).map((n) => n.flowNodeId)
  for (const id of ['PROCUREMENT_REQUEST', 'RECEIVE_GOODS', 'INCOMING_INSPECTION', 'LOT_ACCEPTED', 'PRODUCTION', 'FINAL_INSPECTION', 'FINISHED_GOODS_IN', 'PRODUCTION_COMPLETED']) {
    assert.ok(fulfilmentPath.includes(id), `production-fulfilment visited ${id}`)
  }
  const lots = await db('inspections').where({ order_number: orderNumber }).orderBy('id')
  assert.equal(lots.map((l) => [l.kind, l.verdict]), [['incoming', 'pass'], ['final', 'pass']])
  const done = await steps(orderNumber)
  for (const step of ['inventory-check', 'procurement-request:group-transfer', 'qc-verdict:pass', 'shipping-book:booked', 'invoice-issue']) {
    assert.ok(done.some((s) => s.startsWith(step)), `order_events has ${step}: ${done.join(', ')}`)
  }
  assert.is((await db('shipments').where({ order_number: orderNumber })).length, 1)
})

async function nonRegularToGm() {
  const { key, orderNumber } = await start(nonRegularOrder)
  const review = await completeTask(key, 'ENGINEERING_REVIEW', {
    engineeringReview: { reviewMeeting: false, productDecision: 'build to drawing OIC-1600-AC rev B', deliveryDate: '2027-03-01', decision: 'feasible' },
  })
  assert.equal(review.candidateGroup, ['engineering-supervisor'])
  await completeTask(key, 'PRODUCT_PLAN', { productPlan: { description: 'modified cabinet, extra fan tray', plannedDeliveryDate: '2027-02-20', extraCost: 1200 } })
  await completeTask(key, 'SALES_MANAGER_AGREEMENT', { salesManagerAgreement: { decision: 'agreed' } })
  const gm = await waitTask(key, 'GM_APPROVAL')
  assert.equal(gm.candidateGroup, ['general-manager'])
  return { key, gm, orderNumber }
}

test('a non-regular order goes engineering review → product plan → sales manager → GM approves → technical files released → quote', async () => {
  const { key, gm, orderNumber } = await nonRegularToGm()
  await completeUserTask(gm, { gmApproval: { decision: 'approved', decidedBy: 'general-manager' } })

  await waitTask(key, 'DRAFT_CONTRACT')
  const path = (await reached(key, 'DRAFT_CONTRACT')).map((n) => n.flowNodeId)
  assert.ok(path.includes('RELEASE_TECHNICAL_FILES'))
  assert.ok(path.includes('QUOTE_CALCULATE'))
  assert.not.ok(path.includes('WORKSHOP_REVIEW'))
  assert.not.ok(path.includes('NEGOTIATE_EXTENSION'))
  const quotes = await db('quotes').where({ order_number: orderNumber })
  assert.is(quotes.length, 1)
  // Special-modification surcharge (D2 一.三 2): 26800 + 20 %.
  assert.is(Number(quotes[0].amount), 32160)
  const done = await steps(orderNumber)
  assert.ok(done.includes('review-notify:notified'), `technical files released: ${done.join(', ')}`)
  await stands(orderNumber, 'quoted', 'non-regular', 'accepted')
})

test('a non-regular order the GM declines ends ORDER_DECLINED and the customer is told', async () => {
  const { key, gm, orderNumber } = await nonRegularToGm()
  await completeUserTask(gm, { gmApproval: { decision: 'declined', decidedBy: 'deputy-general-manager', comment: 'not our line of business' } })

  await instanceState(key, 'COMPLETED')
  const path = (await reached(key, 'ORDER_DECLINED', 'COMPLETED')).map((n) => n.flowNodeId)
  assert.ok(path.includes('DECLINE_NOTIFY'))
  assert.ok(path.includes('ORDER_DECLINED'))
  assert.not.ok(path.includes('RELEASE_TECHNICAL_FILES'))
  assert.not.ok(path.includes('QUOTE_CALCULATE'))
  assert.ok((await steps(orderNumber)).includes('customer-notify:notified'))
  await stands(orderNumber, 'declined', 'non-regular', 'declined')
})

test('an infeasible date is negotiated: the customer accepts a later date and the order goes on to the quote', async () => {
  const { key, orderNumber } = await start(regularOrder)
  await completeTask(key, 'WORKSHOP_REVIEW', { workshopReview: { deliveryDate: '2027-04-15', decision: 'not-feasible' } })
  const negotiation = await completeTask(key, 'NEGOTIATE_EXTENSION', {
    extensionNegotiation: { decision: 'accepted', note: 'customer agrees to mid April' },
    agreedDeliveryDate: '2027-04-15',
  })
  assert.equal(negotiation.candidateGroup, ['sales-assistant'])
  await waitTask(key, 'DRAFT_CONTRACT')
  const path = (await reached(key, 'DRAFT_CONTRACT')).map((n) => n.flowNodeId)
  assert.ok(path.includes('QUOTE_CALCULATE'))
  assert.not.ok(path.includes('DECLINE_APPROVAL'))
  await stands(orderNumber, 'quoted', 'regular', 'accepted')
})

test('an infeasible date the customer refuses goes to decline approval and ends ORDER_DECLINED', async () => {
  const { key, orderNumber } = await start(regularOrder)
  await completeTask(key, 'WORKSHOP_REVIEW', { workshopReview: { deliveryDate: '2027-06-30', decision: 'not-feasible' } })
  await completeTask(key, 'NEGOTIATE_EXTENSION', { extensionNegotiation: { decision: 'refused', note: 'customer needs March' } })
  const approval = await completeTask(key, 'DECLINE_APPROVAL', {
    declineApproval: { decidedBy: 'general-manager', reason: 'cannot meet March delivery', confirmed: true },
  })
  assert.equal(approval.candidateGroup, ['general-manager'])
  await instanceState(key, 'COMPLETED')
  const path = (await reached(key, 'ORDER_DECLINED', 'COMPLETED')).map((n) => n.flowNodeId)
  assert.ok(path.includes('DECLINE_NOTIFY'))
  assert.ok(path.includes('ORDER_DECLINED'))
  assert.not.ok(path.includes('QUOTE_CALCULATE'))
  await stands(orderNumber, 'declined', 'regular', 'declined')
})

test('a minor change request (order-change-requested) is assessed and a change notice goes out; the order goes on', async () => {
  const { key, orderNumber } = await start(regularOrder)
  await waitTask(key, 'WORKSHOP_REVIEW')
  await publish('order-change-requested', orderNumber, { changeRequest: { description: 'different label colour' } })
  await completeTask(key, 'ASSESS_CHANGE', { changeAssessment: { kind: 'minor', summary: 'label colour only', leaderInformed: true } })
  await reached(key, 'CHANGE_HANDLED', 'COMPLETED')
  const path = await visited(key)
  assert.ok(path.includes('CHANGE_NOTICE'))
  assert.not.ok(path.includes('RE_REVIEW_DATE'))
  // Non-interrupting: the review is still open.
  assert.is((await openUserTasks(key, 'WORKSHOP_REVIEW')).length, 1)
  assert.is(await search.processInstanceState(key), 'ACTIVE')
  assert.ok((await steps(orderNumber)).includes('team-notify:notified'))
  await stands(orderNumber, 'validated', null, null)
})

test('a change affecting the delivery date is re-reviewed by production and negotiated with the customer (D2 一.五.2(2))', async () => {
  const { key, orderNumber } = await start(regularOrder)
  await waitTask(key, 'WORKSHOP_REVIEW')
  await publish('order-change-requested', orderNumber, { changeRequest: { description: 'add 10 units' } })
  await completeTask(key, 'ASSESS_CHANGE', { changeAssessment: { kind: 'delivery-date', summary: 'quantity 4 → 14', leaderInformed: true } })
  const reReview = await completeTask(key, 'RE_REVIEW_DATE', { dateReReview: { deliveryDate: '2027-04-15', note: 'ten more units' } })
  assert.equal(reReview.candidateGroup, ['production-manager'])
  await completeTask(key, 'NEGOTIATE_CHANGED_DATE', {
    changeNegotiation: { decision: 'accepted', note: 'customer agrees to 15 April' },
    agreedDeliveryDate: '2027-04-15',
  })
  await reached(key, 'CHANGE_HANDLED', 'COMPLETED')
  const path = await visited(key)
  assert.ok(path.includes('CHANGE_NOTICE'))
  assert.not.ok(path.includes('RE_REVIEW_NON_REGULAR'))
  assert.is((await openUserTasks(key, 'WORKSHOP_REVIEW')).length, 1)
  assert.ok((await steps(orderNumber)).includes('team-notify:notified'))
  await stands(orderNumber, 'validated', null, null)
})

test('a change of structure or main components is re-reviewed as non-regular with a supplementary contract (D2 一.五.2(3))', async () => {
  const { key, orderNumber } = await start(regularOrder)
  await waitTask(key, 'WORKSHOP_REVIEW')
  await publish('order-change-requested', orderNumber, { changeRequest: { description: 'different main breaker' } })
  await completeTask(key, 'ASSESS_CHANGE', { changeAssessment: { kind: 'structure', summary: 'main breaker changed', leaderInformed: true } })
  const review = await completeTask(key, 'RE_REVIEW_NON_REGULAR', {
    changeReview: { decision: 'accept', reviewMeeting: true, deliveryDate: '2027-05-01', planChanges: 'new breaker, new drawing', supplementNeeded: true },
  })
  assert.equal(review.candidateGroup, ['engineering-supervisor'])
  await completeTask(key, 'SUPPLEMENTARY_CONTRACT', {
    supplementaryContract: { needed: 'signed', contractNumber: 'SC-2026-0001', additionalPrice: 1200, note: 'breaker upgrade' },
  })
  await reached(key, 'CHANGE_HANDLED', 'COMPLETED')
  const path = await visited(key)
  assert.ok(path.includes('CHANGE_NOTICE'))
  assert.not.ok(path.includes('RE_REVIEW_DATE'))
  assert.ok((await steps(orderNumber)).includes('team-notify:notified'))
  await stands(orderNumber, 'validated', null, null)
})

test('an unpaid order cancelled before shipment releases what it holds, refunds nothing and ends ORDER_CANCELLED', async () => {
  const { key, orderNumber } = await start(regularOrder)
  await waitTask(key, 'WORKSHOP_REVIEW')
  await publish('order-cancel-requested', orderNumber, { cancellation: { reason: 'project postponed' } })
  await instanceState(key, 'COMPLETED')
  const path = (await reached(key, 'ORDER_CANCELLED', 'COMPLETED')).map((n) => n.flowNodeId)
  assert.ok(path.includes('RELEASE_RESERVATIONS'))
  assert.ok(path.includes('ORDER_CANCELLED'))
  assert.not.ok(path.includes('REFUND_PAYMENT'))
  assert.is((await refunds.listForOrder(orderNumber)).length, 0)
  const done = await steps(orderNumber)
  assert.ok(done.some((s) => s.startsWith('reservation-release:')), done.join(', '))
  assert.ok(done.includes('customer-notify:notified'))
  await stands(orderNumber, 'cancelled', 'regular', null)
})

test('a paid order cancelled during shipment preparation is refunded exactly once and its stock released', async () => {
  const { key, orderNumber } = await start(regularOrder)
  await completeTask(key, 'WORKSHOP_REVIEW', feasibleWorkshopReview)
  await draftContract(key, orderNumber, 520)
  await signAndPay(key, orderNumber)
  const child = await childInstance(key)
  await waitTask(child, 'SHIPPING_INSTRUCTION')
  assert.is((await db('stock_reservations').where({ order_number: orderNumber, status: 'reserved' })).length, 1)

  await publish('order-cancel-requested', orderNumber, { cancellation: { reason: 'project cancelled' } })
  await instanceState(key, 'COMPLETED')
  const path = (await reached(key, 'ORDER_CANCELLED', 'COMPLETED')).map((n) => n.flowNodeId)
  assert.ok(path.includes('REFUND_PAYMENT'))
  assert.ok(path.includes('ORDER_CANCELLED'))
  assert.not.ok(path.includes('INVOICE_ISSUE'))
  await instanceState(child, 'CANCELED')

  const rows = await refunds.listForOrder(orderNumber)
  assert.is(rows.length, 1)
  assert.is(rows[0].status, 'succeeded')
  assert.is(Number(rows[0].amount), 520)
  assert.is(rows[0].idempotency_key, `cancellation:${orderNumber}`)
  assert.is((await db('stock_reservations').where({ order_number: orderNumber, status: 'reserved' })).length, 0)
  assert.is((await steps(orderNumber)).filter((s) => s.startsWith('payment-refund:')).length, 1)
  assert.is((await orders.find(orderNumber))?.order_number, orderNumber)
  await stands(orderNumber, 'cancelled', 'regular', 'accepted')
})

test('a cancelled order whose refund the provider declines goes to finance (REFUND_FAILED) and still ends ORDER_CANCELLED', async () => {
  // The sandbox payment provider declines refunds above 50000.
  const { key, orderNumber } = await start(regularOrder)
  await completeTask(key, 'WORKSHOP_REVIEW', feasibleWorkshopReview)
  await draftContract(key, orderNumber, 60000)
  await signAndPay(key, orderNumber, 60000)
  const child = await childInstance(key)
  await waitTask(child, 'SHIPPING_INSTRUCTION')

  await publish('order-cancel-requested', orderNumber, { cancellation: { reason: 'project cancelled' } })
  const failed = await completeTask(key, 'REFUND_FAILED', {
    refundFailure: { resolution: 'refunded-manually', amountRefunded: 60000, reference: 'BANK-TT-0001', comment: 'refunded by bank transfer' },
  })
  assert.equal(failed.candidateGroup, ['finance'])
  await instanceState(key, 'COMPLETED')
  const path = (await reached(key, 'ORDER_CANCELLED', 'COMPLETED')).map((n) => n.flowNodeId)
  assert.ok(path.includes('REFUND_DECLINED'))
  assert.ok(path.includes('NOTIFY_CANCELLATION'))

  const rows = await refunds.listForOrder(orderNumber)
  assert.is(rows.length, 1, 'asked once, not retried')
  assert.is(rows[0].status, 'declined')
  assert.is(Number(rows[0].amount), 60000)
  assert.equal((await steps(orderNumber)).filter((s) => s.startsWith('payment-refund:')), ['payment-refund:declined'])
  await stands(orderNumber, 'cancelled', 'regular', 'accepted')
})

test.run()
