/**
 * End to end through the API on the real engine with every worker running: a shop order placed
 * with POST /orders, paid and delivered through the event endpoints, its human steps completed
 * through the engine's user-task REST API (as Tasklist would), until the instance completes; then
 * its history lists every step with actor, time and clause, and the CSV export matches the JSON.
 * The shop order is then returned in part and partially refunded; a contract order goes the whole
 * way too. At each stage `GET /orders/{number}` is read and its status asserted; the readings are
 * written to data/artifacts/api/order-transcript.md (the closing note's transcript).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { demoContractOrder, seedDemoCatalogue } from '../../lib/seed.ts'
import { createEngineRest, toEngineVariables } from '../../lib/engine-rest.ts'
import { dataDir } from '../../lib/config.ts'
import { calledInstance, config, eventually, search, waitUserTask, withWorkers } from '../helpers.ts'
import { keys, newKey, openApi } from './support.ts'

const { db } = withWorkers(test)
let api: Awaited<ReturnType<typeof openApi>>

test.before(async () => {
  await seedDemoCatalogue(db)
  api = await openApi({ db })
})
const transcript: string[] = ['# Orders driven through the API: `GET /orders/{number}` before and after each stage', '']
test.after(async () => {
  await api?.close()
  const dir = path.join(dataDir(config), 'artifacts', 'api')
  await mkdir(dir, { recursive: true })
  await writeFile(path.join(dir, 'order-transcript.md'), `${transcript.join('\n')}\n`)
})

const post = (url: string, payload: unknown) =>
  api.app.inject({ method: 'POST', url, payload: payload as object, headers: { 'x-api-key': keys.integrator, 'idempotency-key': newKey() } })
const get = (url: string, key: string = keys.auditor) => api.app.inject({ method: 'GET', url, headers: { 'x-api-key': key } })

const chinaDate = (at: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(at)
const daysFromNow = (days: number) => chinaDate(new Date(Date.now() + days * 86400000))

interface OrderView {
  status: string
  classification: string | null
  reviewOutcome: string | null
  processState: string | null
  currentSteps: { bpmnProcessId: string; elementId: string }[]
  openUserTasks: { elementId: string }[]
  events: { message: string; state: string }[]
}

/**
 * Reads GET /orders/{number} once the order stands at `status` (the step that writes it commits
 * before the process moves on, so this waits for the worker, not for time), and adds the reading
 * to the transcript under `stage`.
 */
async function stage(orderNumber: string, what: string, status: string): Promise<OrderView> {
  const view = await eventually(`${orderNumber} ${status} (${what})`, async () => {
    const answer = await get(`/orders/${orderNumber}`, keys.integrator)
    const body = answer.json() as OrderView
    return body.status === status && body
  })
  const steps = view.currentSteps.map((s) => `${s.bpmnProcessId}/${s.elementId}`).join(', ') || '—'
  transcript.push(
    `- **${what}** → \`GET /orders/${orderNumber}\`: status \`${view.status}\`, classification \`${view.classification}\`, review \`${view.reviewOutcome}\`, process ${view.processState}; current steps: ${steps}; open tasks: ${view.openUserTasks.map((t) => t.elementId).join(', ') || '—'}`,
  )
  return view
}

/** Who does each human step: the demo user of the task's candidate group (user id = group id). */
const staff: Record<string, string> = {
  CONFIRM_ORDER: 'customer-service', PICK_QC_PACK: 'warehouse', SHIPPING_INSTRUCTION: 'logistics', SHIPPING_DOCUMENTS: 'logistics', SETTLEMENT: 'finance',
  WORKSHOP_REVIEW: 'workshop', DRAFT_CONTRACT: 'sales-assistant', SHIPPING_APPROVAL: 'sales-manager', PICK_AND_PACK: 'warehouse',
  FINANCE_SETTLEMENT: 'finance', CUSTOMER_FOLLOW_UP: 'sales-assistant',
}

/** As in Tasklist: the group's user claims the task and completes it with the form's data. */
async function completeTask(processInstanceId: string, elementId: string, variables: Record<string, unknown>) {
  const task = await waitUserTask(processInstanceId, elementId)
  const user = task.candidateGroup?.[0] ?? staff[elementId]
  staff[elementId] = user
  const asUser = createEngineRest(config, { user, password: config.STAFF_PASSWORD })
  await asUser.post(`/task/${task.key}/claim`, { userId: user })
  await asUser.post(`/task/${task.key}/complete`, { variables: toEngineVariables(variables) })
}

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++
      else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') row.push(field), (field = '')
    else if (c === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++
    else field += c
  }
  return rows
}

test('a shop order placed, paid, picked, shipped, delivered, settled, then returned in part and partially refunded through the API; its history and exports', async () => {
  const placed = await post('/orders', {
    channel: 'shop',
    customer: { name: 'Zhang Wei', phone: '+86 138 0000 0004' },
    lines: [{ sku: 'PP-24C6', productName: 'Patch panel 配线面板 24-port Cat6', quantity: 2, unitPrice: 19.99 }],
    deliveryAddress: 'Yuexiu District, Guangzhou',
    shippingMethod: 'express',
    deliveryDate: daysFromNow(5),
  })
  assert.is(placed.statusCode, 201, placed.body)
  const { orderNumber, processInstanceKey: key } = placed.json()
  assert.match(orderNumber, /^SO-\d{4}-\d{6}$/)
  transcript.push(`## Shop order ${orderNumber} (2 × 19.99, paid 39.98, one returned)`, '')
  await stage(orderNumber, 'placed (POST /orders)', 'received')

  await eventually('the wait for payment', async () => (await search.flowNodes(key)).some((n) => n.flowNodeId === 'PAYMENT_RECEIVED'))
  const paid = await post(`/orders/${orderNumber}/payments`, { amount: 39.98, reference: 'ALIPAY-20261124-0001' })
  assert.is(paid.statusCode, 202, paid.body)
  assert.is((await db('payments').where({ order_number: orderNumber })).length, 1)

  const view = await eventually('Confirm order listed as an open task', async () => {
    const answer = (await get(`/orders/${orderNumber}`, keys.integrator)).json()
    const listed = (list: { elementId: string }[]) => list.some((t) => t.elementId === 'CONFIRM_ORDER')
    return listed(answer.openUserTasks) && listed(answer.currentSteps) && answer
  })
  assert.is(view.processState, 'ACTIVE')
  assert.is(view.engineAvailable, true)
  const confirm = view.openUserTasks.find((t: { elementId: string }) => t.elementId === 'CONFIRM_ORDER')
  assert.equal(confirm.candidateGroups, ['customer-service'])
  assert.ok('dueDate' in confirm)

  await stage(orderNumber, 'paid 39.98 (POST /payments)', 'received')

  await completeTask(key, 'CONFIRM_ORDER', { orderConfirmation: { itemsChecked: true, deliveryAddress: 'Yuexiu District, Guangzhou', outcome: 'confirmed' } })
  await stage(orderNumber, 'confirmed by customer service; stock checked', 'stock-reserved')
  await completeTask(key, 'PICK_QC_PACK', { packing: { allItemsPicked: true, qualityChecked: true, packed: true, packageCount: 1 } })
  const shipment = await calledInstance(key, 'shipment')
  await completeTask(shipment, 'SHIPPING_INSTRUCTION', {
    shippingInstruction: { contractChecked: true, paymentChecked: true, dispatchDate: daysFromNow(0), deliveryDate: daysFromNow(5), deliveryAddress: 'Yuexiu District, Guangzhou' },
  })
  await completeTask(shipment, 'SHIPPING_DOCUMENTS', {
    shippingDocuments: { shippingRequest: true, outboundSlip: true, carrierReceipt: true, sentAt: new Date().toISOString() },
  })
  await eventually('the wait for delivery', async () => (await search.flowNodes(shipment)).some((n) => n.flowNodeId === 'AWAIT_DELIVERY'))
  await stage(orderNumber, 'picked, packed, carrier booked, documents sent', 'shipped')
  // The carrier's webhook: one event, kept in the outbox, reaches the shipment now and the shop order's receipt wait once it opens.
  const delivered = await post(`/orders/${orderNumber}/delivery-confirmations`, { deliveredOn: daysFromNow(2), signedBy: 'Zhang Wei', damaged: false, carrier: 'SF Express' })
  assert.is(delivered.statusCode, 202, delivered.body)
  await eventually('delivery-confirmed delivered to both waits', async () => {
    const rows = await db('event_outbox').where({ message_id: delivered.json().messageId })
    return rows.length === 2 && rows.every((r) => r.state === 'correlated')
  })
  await stage(orderNumber, 'delivery confirmed by the carrier webhook', 'delivered')
  await completeTask(key, 'SETTLEMENT', { settlement: { statementNumber: `ST-${orderNumber}`, settledOn: daysFromNow(0), amount: 39.98 } })
  await eventually('the order COMPLETED', async () => (await search.processInstanceState(key)) === 'COMPLETED')
  assert.equal(await stage(orderNumber, 'settled by finance', 'completed').then((v) => [v.classification, v.processState]), [null, 'COMPLETED'])

  // One of the two panels comes back defective: the amount paid comes from the payments (39.98).
  const returned = await post('/returns', {
    orderNumber, items: [{ sku: 'PP-24C6', productName: 'Patch panel 配线面板 24-port Cat6', quantity: 1, unitPrice: 19.99 }],
    reason: 'port 7 dead', reasonKind: 'defective', tagsAndPackagingIntact: true,
  })
  assert.is(returned.statusCode, 201, returned.body)
  const { returnNumber, processInstanceKey: returnKey } = returned.json()
  assert.is(((await search.variables(returnKey)).returnRequest as { amountPaid: number }).amountPaid, 39.98)
  await stage(orderNumber, `return ${returnNumber} requested (POST /returns)`, 'completed')
  await completeTask(returnKey, 'REVIEW_RETURN', { returnReview: { decision: 'approve', returnMethod: 'drop-off', costsExplained: true, comment: 'defective' } })
  await eventually('the wait for the returned goods', async () => (await search.flowNodes(returnKey)).some((n) => n.flowNodeId === 'RETURN_RECEIVED'))
  assert.is((await post(`/orders/${orderNumber}/returned-goods`, { returnNumber, receivedAt: new Date().toISOString() })).statusCode, 202)
  await completeTask(returnKey, 'INSPECT_RETURN', {
    inspection: {
      items: [{ sku: 'PP-24C6', productName: 'Patch panel', quantityRequested: 1, quantityReceived: 1, unitPrice: 19.99 }],
      itemState: 'defective', tagsAndPackagingIntact: true, reasonConfirmed: true, inspectedOn: new Date().toISOString(), findings: 'port 7 dead',
    },
  })
  await eventually('the return COMPLETED', async () => (await search.processInstanceState(returnKey)) === 'COMPLETED')
  await stage(orderNumber, 'returned goods received, inspected, 19.99 refunded', 'partially-refunded')
  assert.equal((await db('refunds').where({ order_number: orderNumber })).map((r) => [r.amount, r.status]), [['19.99', 'succeeded']])
  const unpaid = await post('/orders', { channel: 'shop', customer: { name: 'Zhang Wei' }, lines: [{ sku: 'PP-24C6', productName: 'P', quantity: 1, unitPrice: 0.07 }], deliveryAddress: 'Guangzhou' })
  const early = await post('/returns', { orderNumber: unpaid.json().orderNumber, items: [{ sku: 'PP-24C6', productName: 'P', quantity: 1, unitPrice: 0.07 }], reason: 'r', tagsAndPackagingIntact: true })
  assert.equal([early.statusCode, early.json().code], [409, 'order-not-delivered'], 'no return before delivery')

  const history = await eventually('the history with every step ended', async () => {
    const answer = await get(`/orders/${orderNumber}/history`)
    if (answer.statusCode !== 200) throw new Error(answer.body)
    const body = answer.json()
    const steps = body.items.filter((i: { kind: string }) => i.kind === 'step' || i.kind === 'user-task')
    return steps.some((s: { elementId: string }) => s.elementId === 'ORDER_COMPLETED') && steps.every((s: { state: string }) => s.state === 'COMPLETED') && body
  })
  // The order's own instances; an engine reused across test databases may also hold instances of an
  // earlier run under the same order number (the numbers restart with each database).
  for (const instance of [key, shipment, returnKey]) assert.ok(history.processInstanceKeys.includes(instance), `history covers ${instance}`)
  const steps = history.items.filter((i: { kind: string }) => i.kind === 'step' || i.kind === 'user-task')
  for (const item of history.items) {
    assert.ok(item.actor, `actor of ${item.elementId ?? item.details.step}`)
    assert.ok(!Number.isNaN(Date.parse(item.at)), `time of ${item.elementId}`)
  }
  for (const step of steps.filter((s: { elementType: string }) => ['USER_TASK', 'SERVICE_TASK', 'CALL_ACTIVITY', 'START_EVENT', 'END_EVENT'].includes(s.elementType))) {
    assert.ok(step.clause, `clause of ${step.bpmnProcessId}/${step.elementId}`)
  }
  const byId = (id: string) => steps.find((s: { elementId: string }) => s.elementId === id)
  for (const id of ['CONFIRM_ORDER', 'PICK_QC_PACK', 'SHIPPING_INSTRUCTION', 'SHIPPING_DOCUMENTS', 'SETTLEMENT']) {
    const task = byId(id)
    assert.ok(task, `history has ${id}`)
    assert.is(task.kind, 'user-task')
    assert.is(task.actor, staff[id], `${id} done by`)
    assert.ok(task.endedAt, `${id} completion time`)
    assert.ok(Object.keys(task.details.formData ?? {}).length > 0, `${id} form data`)
  }
  assert.is(byId('CONFIRM_ORDER').details.formData.orderConfirmation.outcome, 'confirmed')
  assert.is(byId('INVENTORY_CHECK').actor, 'worker:inventory-check')
  assert.is(byId('INVENTORY_CHECK').source, 'engine+order_events')
  const apiEvents = history.items.filter((i: { source: string }) => i.source === 'order_events')
  const apiEvent = (step: string) => apiEvents.find((e: { details: { step: string } }) => e.details.step === step)
  assert.is(apiEvent('order-received').clause, 'D5 一.1–2; D6 1; D4 一.1')
  assert.is(apiEvent('payment-received').clause, 'D2 一.四; D4 一.3')
  assert.is(apiEvent('payment-received').actor, 'api:integrator:bb161c2a4293')
  assert.is(apiEvent('delivery-confirmed').clause, 'D10 23B; D3 8')

  const csv = await api.app.inject({ method: 'GET', url: `/orders/${orderNumber}/history?format=csv`, headers: { 'x-api-key': keys.auditor } })
  assert.is(csv.statusCode, 200)
  assert.match(String(csv.headers['content-type']), /^text\/csv/)
  const [header, ...rows] = parseCsv(csv.body)
  assert.equal(header, ['at', 'kind', 'source', 'processInstanceKey', 'bpmnProcessId', 'elementId', 'elementName', 'elementType', 'state', 'endedAt', 'actor', 'clause', 'outcome', 'procedure', 'details'])
  const again = (await get(`/orders/${orderNumber}/history`)).json()
  assert.is(rows.length, again.items.length)
  rows.forEach((row, i) => {
    const item = again.items[i]
    header.forEach((column, c) => {
      const value = item[column]
      const expected = value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value)
      assert.is(row[c].replace(/^'(?=[=+\-@])/, ''), expected, `row ${i} ${column}`)
    })
  })
  const viaAccept = await api.app.inject({ method: 'GET', url: `/orders/${orderNumber}/history`, headers: { 'x-api-key': keys.auditor, accept: 'text/csv' } })
  assert.match(String(viaAccept.headers['content-type']), /^text\/csv/)
})

test('a contract order placed, reviewed, signed, paid, shipped, invoiced and settled through the API', async () => {
  const placed = await post('/orders', { channel: 'contract', ...demoContractOrder() })
  assert.is(placed.statusCode, 201, placed.body)
  const { orderNumber, processInstanceKey: key } = placed.json()
  const reached = (instance: string, id: string) =>
    eventually(`${id} in ${instance}`, async () => (await search.flowNodes(instance)).some((n) => n.flowNodeId === id))
  transcript.push('', `## Contract order ${orderNumber} (2 patch panels, contract 520.00)`, '')
  await stage(orderNumber, 'placed (POST /orders)', 'received')
  await reached(key, 'WORKSHOP_REVIEW')
  await stage(orderNumber, 'checked complete, classified, copies sent; at the workshop review', 'validated')

  await completeTask(key, 'WORKSHOP_REVIEW', { workshopReview: { deliveryDate: '2027-03-01', decision: 'feasible', note: 'capacity free' } })
  await completeTask(key, 'DRAFT_CONTRACT', {
    contract: { contractNumber: `HT-${orderNumber}`, amount: 520, currency: 'CNY', paymentTerms: 'full payment before production' },
    paymentCollection: { remindOn: '2027-06-01' },
  })
  await reached(key, 'CONTRACT_SIGNED')
  assert.equal(await stage(orderNumber, 'reviewed feasible, quoted, contract drafted', 'quoted').then((v) => [v.classification, v.reviewOutcome]), ['regular', 'accepted'])
  assert.is((await post(`/orders/${orderNumber}/contract-signed`, { signedOn: daysFromNow(0), signedBy: 'Zhang San', contractNumber: `HT-${orderNumber}` })).statusCode, 202)
  await reached(key, 'PAYMENT_RECEIVED')
  assert.is((await post(`/orders/${orderNumber}/payments`, { amount: 520, kind: 'full', reference: 'BANK-TT-0001' })).statusCode, 202)

  const shipment = await calledInstance(key, 'shipment')
  await stage(orderNumber, 'signed and paid (contract effective), production instructed, stock reserved', 'stock-reserved')
  await completeTask(shipment, 'SHIPPING_INSTRUCTION', {
    shippingInstruction: { contractChecked: true, paymentChecked: true, dispatchDate: daysFromNow(0), deliveryDate: '2027-03-01', deliveryAddress: '88 Tianhe Road, Guangzhou 510620' },
  })
  await completeTask(shipment, 'SHIPPING_APPROVAL', { shippingApproval: { decision: 'approve', comment: 'contract paid, ship it' } })
  await completeTask(shipment, 'PICK_AND_PACK', { packing: { allItemsPresent: true, marked: true, packageCount: 1, grossWeightKg: 6 } })
  await completeTask(shipment, 'SHIPPING_DOCUMENTS', { shippingDocuments: { shippingRequest: true, outboundSlip: true, carrierReceipt: true, sentAt: new Date().toISOString() } })
  await reached(shipment, 'AWAIT_DELIVERY')
  await stage(orderNumber, 'shipping instruction, approval, pick and pack, carrier booked, documents', 'shipped')
  assert.is((await post(`/orders/${orderNumber}/delivery-confirmations`, { deliveredOn: daysFromNow(2), signedBy: 'Zhang San', damaged: false })).statusCode, 202)
  await reached(key, 'AWAIT_BALANCE')
  await stage(orderNumber, 'delivered (carrier webhook), invoice issued', 'invoiced')
  assert.is((await post(`/orders/${orderNumber}/payments`, { amount: 0.01, kind: 'balance', reference: 'BANK-TT-0002' })).statusCode, 202)
  await completeTask(key, 'FINANCE_SETTLEMENT', { financeSettlement: { revenue: 520, cost: 300, receivablesCleared: true } })
  await completeTask(key, 'CUSTOMER_FOLLOW_UP', { followUp: { contactedOn: daysFromNow(7), satisfaction: 'satisfied', feedback: 'arrived in good order' } })
  await eventually('the order COMPLETED', async () => (await search.processInstanceState(key)) === 'COMPLETED')
  const done = await stage(orderNumber, 'balance received, settled by finance, customer followed up', 'completed')
  assert.equal([done.classification, done.reviewOutcome, done.processState], ['regular', 'accepted', 'COMPLETED'])
  const late = await post(`/orders/${orderNumber}/cancellation`, { reason: 'too late' })
  assert.equal([late.statusCode, late.json().code], [409, 'order-already-shipped'])

  assert.equal((await db('payments').where({ order_number: orderNumber }).orderBy('id')).map((p) => [p.kind, Number(p.amount)]), [['full', 520], ['balance', 0.01]])
  const history = await eventually('the history with the order completed', async () => {
    const body = (await get(`/orders/${orderNumber}/history`)).json()
    const steps = body.items.filter((i: { kind: string }) => i.kind === 'step' || i.kind === 'user-task')
    return steps.some((s: { elementId: string }) => s.elementId === 'ORDER_COMPLETED') && steps.every((s: { state: string }) => s.state === 'COMPLETED') && body
  })
  const steps = history.items.filter((i: { kind: string }) => i.kind === 'step' || i.kind === 'user-task')
  for (const id of ['VALIDATE_ORDER', 'CLASSIFY_ORDER', 'WORKSHOP_REVIEW', 'QUOTE_CALCULATE', 'CONTRACT_SIGNED', 'PAYMENT_RECEIVED', 'PRODUCTION_INSTRUCT',
    'SHIPPING_APPROVAL', 'BOOK_CARRIER', 'DELIVERY_CONFIRMED', 'INVOICE_ISSUE', 'FINANCE_SETTLEMENT', 'CUSTOMER_FOLLOW_UP', 'ORDER_COMPLETED']) {
    const step = steps.find((s: { elementId: string }) => s.elementId === id)
    assert.ok(step, `history has ${id}`)
    assert.ok(step.clause, `${id} cites its clause`)
  }
  const validate = steps.find((s: { elementId: string }) => s.elementId === 'VALIDATE_ORDER')
  assert.equal([validate.actor, validate.clause, validate.outcome], ['worker:order-validate', 'D1 第4条 2', 'complete'])
  const review = steps.find((s: { elementId: string }) => s.elementId === 'WORKSHOP_REVIEW')
  assert.equal([review.actor, review.details.formData.workshopReview.decision], [staff.WORKSHOP_REVIEW, 'feasible'])
  const signed = history.items.find((i: { details: { step?: string } }) => i.details.step === 'contract-signed')
  assert.equal([signed.source, signed.actor, signed.clause], ['order_events', 'api:integrator:bb161c2a4293', 'D2 一.四'])
})

test.run()
