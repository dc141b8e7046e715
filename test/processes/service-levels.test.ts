/**
 * Service levels on the real engine: each kind of level (minutes, hours, working hours across a
 * weekend, working days across a public holiday, a date before another date, month end) gets its
 * due date from processes/service-levels.json and the business calendar through the sla-deadline
 * listener, the boundary timer fires at that date and not before, escalation-notify records the
 * breach (order_events: clause, due time, fired time, who was told) and queues the notification,
 * and the guarded work still completes afterwards. The GM's approval is handed to the deputy GM at
 * 2 working hours (D10 2C).
 *
 * The engine clock is not pinned (it is shared with concurrent suites): the instances carry
 * `slaClock.now`, the moment their levels count from, chosen so that a due date lands a few
 * seconds in the real future (real-time kinds), or far in the past or future (calendar kinds,
 * whose due dates are fixed local times: the exact date is checked on the engine's timer record,
 * and a past one fires at once).
 * Guarded steps are reached directly with start instructions.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createCalendar, loadCalendarDefinition } from '../../lib/calendar.ts'
import { ports } from '../../lib/engine.ts'
import { recordedUserTasks } from '../../lib/engine-records.ts'
import { createRepositories } from '../../lib/repositories/index.ts'
import { eventually, rest, search, uniqueOrderNumber, withWorkers } from '../helpers.ts'

const { zeebe, db } = withWorkers(test)
const repos = createRepositories(db)
const calendar = createCalendar(loadCalendarDefinition())
const started: string[] = []

test.after(async () => {
  for (const key of started) await zeebe.cancelProcessInstance(key).catch(() => undefined)
})

/** An order row (the breach rows reference it) and the order variable of the processes. */
async function newOrder(priority: 'normal' | 'urgent' = 'normal') {
  const orderNumber = uniqueOrderNumber('SL')
  await repos.orders.upsert({
    order_number: orderNumber, channel: 'contract', customer_name: 'Foshan Power Supply Bureau', priority, status: 'planning',
    data: { orderNumber }, process_instance_key: null,
  })
  return { orderNumber, priority, customer: { name: 'Foshan Power Supply Bureau' }, deliveryDate: '2027-03-01', shippingMethod: 'truck' }
}

/** Starts `processId` at `elementId` with the given variables. */
async function startAt(processId: string, elementId: string, variables: Record<string, unknown>): Promise<string> {
  const instance = await zeebe.createProcessInstance({
    bpmnProcessId: processId,
    variables: JSON.parse(JSON.stringify(variables)),
    startInstructions: [{ elementId }],
  })
  started.push(instance.processInstanceKey)
  return instance.processInstanceKey
}

/** The due date of the timer `timerId` as the engine recorded it when it created the timer. */
async function timerDue(key: string, timerId: string): Promise<Date> {
  return eventually(`the engine's timer ${timerId} of ${key}`, async () => {
    const response = await fetch(`http://127.0.0.1:${ports.search}/zeebe-record_timer_*/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ size: 100, query: { bool: { filter: [{ term: { 'value.processInstanceKey': Number(key) } }] } } }),
    })
    if (!response.ok) return undefined
    const hits = ((await response.json()) as { hits: { hits: { _source: { intent: string; value: { targetElementId: string; dueDate: number } } }[] } }).hits.hits
    const created = hits.map((h) => h._source).find((r) => r.intent === 'CREATED' && r.value.targetElementId === timerId)
    return created && new Date(created.value.dueDate)
  })
}

const visited = async (key: string) => (await search.flowNodes(key)).map((n) => n.flowNodeId)

async function openTask(key: string, elementId: string) {
  const [task] = await eventually(`user task ${elementId} of ${key}`, async () => {
    const tasks = await recordedUserTasks(key, elementId)
    return tasks.length > 0 && tasks
  })
  return task
}

async function completeTask(key: string, elementId: string, variables: Record<string, unknown> = {}) {
  const task = await openTask(key, elementId)
  await rest.post(`/v2/user-tasks/${task.key}/completion`, { variables })
  return task
}

/** The breach row escalation-notify wrote for `clause` on this order. */
async function breach(orderNumber: string, clause: string) {
  return eventually(`the breach row ${clause} of ${orderNumber}`, async () => {
    const rows = await repos.events.listForOrder(orderNumber)
    return rows.find((r) => r.outcome === 'sla-breached' && r.clause === clause)
  })
}

interface BreachResult {
  sla: string
  dueAt: string
  firedAt: string
  recipients: string[]
}

/**
 * Checks a real-time level: not fired two seconds before its due date, fired soon after it, the
 * breach row and notification written, the task still open (non-interrupting) and showing the
 * same due date.
 */
async function firesAtDue(key: string, options: { timer: string; host: string; clause: string; role: string; orderNumber: string; due: Date }) {
  const { timer, host, clause, role, orderNumber, due } = options
  assert.is((await timerDue(key, timer)).toISOString(), due.toISOString(), `${timer} waits for the due date from the table`)
  const task = await openTask(key, host)
  assert.is(task.dueDate && new Date(task.dueDate).toISOString(), due.toISOString(), 'Tasklist shows the due date the engine enforces')
  const wait = due.getTime() - Date.now() - 2000
  assert.ok(wait > 0, `the due date ${due.toISOString()} is still ahead`)
  await sleep(wait)
  assert.not.ok((await visited(key)).includes(timer), `${timer} has not fired 2 s before its due date`)
  await eventually(`${timer} to fire`, async () => (await visited(key)).includes(timer), 30000)
  const row = await breach(orderNumber, clause)
  const result = (row.details as { result: BreachResult }).result
  assert.is(result.dueAt, due.toISOString())
  assert.ok(new Date(result.firedAt).getTime() >= due.getTime(), `fired at ${result.firedAt}, not before ${due.toISOString()}`)
  assert.ok(result.recipients.includes(`group:${role}`), `${role} was told: ${result.recipients.join(', ')}`)
  const [notice] = await db('notifications').where({ order_number: orderNumber, template: 'sla-breached', recipient: `group:${role}` })
  assert.is(notice?.payload.clause, clause)
  const [deadline] = await db('service_level_deadlines').where({ process_instance_key: key, element_id: host })
  assert.ok(deadline?.breached_at, 'the deadline register marks the level missed')
  assert.equal((await recordedUserTasks(key, host)).map((t) => t.key), [task.key], 'the work stays with its holder')
}

test('minutes: a service request not forwarded within 60 minutes escalates at its due time; the case goes on (D2 四.1(1))', async () => {
  const order = await newOrder()
  const due = new Date(Date.now() + 9000)
  const key = await startAt('after-sales-case', 'RECORD_SERVICE_REQUEST', {
    order,
    serviceCase: { caseNumber: `AS-${order.orderNumber}`, orderNumber: order.orderNumber, kind: 'service-request', description: 'Door hinge loose' },
    slaClock: { now: new Date(due.getTime() - 60 * 60000).toISOString() },
  })
  await firesAtDue(key, { timer: 'SLA_SERVICE_REQUEST_FORWARDED', host: 'RECORD_SERVICE_REQUEST', clause: 'D2 四.1(1)', role: 'after-sales', orderNumber: order.orderNumber, due })
  await completeTask(key, 'RECORD_SERVICE_REQUEST', {
    serviceRequest: { receivedAt: '2026-11-24T09:00', orderNumber: order.orderNumber, customer: 'Foshan Power Supply Bureau', problemDescription: 'Door hinge loose', requestedService: 'repair' },
  })
  await openTask(key, 'CONTACT_CUSTOMER')
})

test('hours: the customer not contacted within 2 h escalates at its due time; the contact still completes (D2 四.1(2))', async () => {
  const order = await newOrder()
  const due = new Date(Date.now() + 9000)
  const key = await startAt('after-sales-case', 'CONTACT_CUSTOMER', {
    order,
    serviceCase: { caseNumber: `AS-${order.orderNumber}`, orderNumber: order.orderNumber, kind: 'service-request', description: 'Door hinge loose' },
    slaClock: { now: new Date(due.getTime() - 2 * 3600000).toISOString() },
  })
  await firesAtDue(key, { timer: 'SLA_CUSTOMER_CONTACTED', host: 'CONTACT_CUSTOMER', clause: 'D2 四.1(2)', role: 'deputy-general-manager', orderNumber: order.orderNumber, due })
  await completeTask(key, 'CONTACT_CUSTOMER', { customerContact: { contactedAt: '2026-11-24T10:00', channel: 'phone', summary: 'Hinge to be replaced', onsiteVisit: 'not-required' } })
  await eventually('CONTACT_CUSTOMER completed', async () => (await search.flowNodes(key)).some((n) => n.flowNodeId === 'CONTACT_CUSTOMER' && n.state === 'COMPLETED'))
})

test('N days before a date: the shipping instruction is due 1 day before the delivery date (D2 三.1)', async () => {
  const order = await newOrder()
  const due = new Date(Date.now() + 9000)
  const key = await startAt('shipment', 'SHIPPING_INSTRUCTION', {
    order,
    shipment: { orderNumber: order.orderNumber, deliveryDate: new Date(due.getTime() + 24 * 3600000).toISOString(), shippingMethod: 'truck' },
  })
  await firesAtDue(key, { timer: 'SLA_SHIPPING_INSTRUCTION', host: 'SHIPPING_INSTRUCTION', clause: 'D2 三.1', role: 'sales-manager', orderNumber: order.orderNumber, due })
  await completeTask(key, 'SHIPPING_INSTRUCTION', {
    shippingInstruction: { contractChecked: true, paymentChecked: true, dispatchDate: '2027-02-27', deliveryDate: '2027-03-01', deliveryAddress: 'Chancheng District, Foshan' },
  })
  await eventually('SHIPPING_INSTRUCTION completed', async () => (await search.flowNodes(key)).some((n) => n.flowNodeId === 'SHIPPING_INSTRUCTION' && n.state === 'COMPLETED'))
})

test('working hours across a weekend: 2 working hours from Friday 17:00 end Monday 10:00; the GM keeps the task until then (D10 2C)', async () => {
  const order = await newOrder()
  // The next Friday 17:00 China time: its due date is days ahead, so the timer must wait.
  let friday = new Date(Date.now() + 86400000)
  while (new Date(friday.getTime() + 8 * 3600000).getUTCDay() !== 5) friday = new Date(friday.getTime() + 86400000)
  const start = new Date(`${new Date(friday.getTime() + 8 * 3600000).toISOString().slice(0, 10)}T17:00:00+08:00`)
  const key = await startAt('contract-order', 'GM_APPROVAL', { order, slaClock: { now: start.toISOString() } })
  const due = await timerDue(key, 'SLA_GM_APPROVAL')
  assert.is(due.toISOString(), calendar.addWorkingHours(start, 2).toISOString())
  assert.ok(due.getTime() - start.getTime() > 48 * 3600000, 'the weekend is not counted')
  assert.is(new Date(due.getTime() + 8 * 3600000).toISOString().slice(11, 16), '10:00', 'Monday (or the next working day) 10:00 China time')
  const task = await openTask(key, 'GM_APPROVAL')
  assert.is(task.dueDate && new Date(task.dueDate).toISOString(), due.toISOString())
  await sleep(3000)
  assert.not.ok((await visited(key)).includes('SLA_GM_APPROVAL'))
})

test('GM → deputy GM: 2 working hours after last Friday 17:00 (Monday 10:00, passed) the deputy GM decides, and the order goes on (D10 2C)', async () => {
  const order = await newOrder()
  const key = await startAt('contract-order', 'GM_APPROVAL', { order, slaClock: { now: '2026-11-20T17:00:00+08:00' } })
  assert.is((await timerDue(key, 'SLA_GM_APPROVAL')).toISOString(), '2026-11-23T02:00:00.000Z')
  const deputy = await openTask(key, 'DEPUTY_GM_APPROVAL')
  assert.equal(deputy.candidateGroup, ['deputy-general-manager'])
  assert.ok(deputy.formKey, 'the deputy task links its form')
  await eventually('the GM task to be taken away', async () => (await recordedUserTasks(key, 'GM_APPROVAL')).length === 0)
  const result = (await breach(order.orderNumber, 'D10 2C')).details as { result: BreachResult }
  assert.is(result.result.dueAt, '2026-11-23T02:00:00.000Z')
  assert.ok(result.result.recipients.includes('group:deputy-general-manager'))
  await completeTask(key, 'DEPUTY_GM_APPROVAL', { gmApproval: { decision: 'approved', decidedBy: 'deputy-general-manager', comment: 'GM travelling' } })
  await eventually('the ruling to pass Approved?', async () => (await visited(key)).includes('RELEASE_TECHNICAL_FILES'))
})

test('working days across a public holiday: payment 5 working days overdue from 29 September is due 12 October (D10 26B)', async () => {
  const order = await newOrder()
  // 30 Sep counts; 1–7 October are the National Day holiday; Saturday 10 October is a make-up working day.
  const key = await startAt('contract-order', 'CHASE_PAYMENT', { order, slaClock: { now: '2026-09-29T10:00:00+08:00' }, paymentCollection: { remindOn: '2027-06-01' } })
  assert.is((await timerDue(key, 'SLA_PAYMENT_OVERDUE')).toISOString(), '2026-10-12T02:00:00.000Z')
  const result = (await breach(order.orderNumber, 'D10 26B')).details as { result: BreachResult }
  assert.is(result.result.dueAt, '2026-10-12T02:00:00.000Z')
  assert.ok(result.result.recipients.includes('group:finance'))
  await completeTask(key, 'CHASE_PAYMENT', { paymentCollection: { remindOn: '2027-06-01', note: 'customer promised payment' } })
  await eventually('CHASE_PAYMENT completed', async () => (await search.flowNodes(key)).some((n) => n.flowNodeId === 'CHASE_PAYMENT' && n.state === 'COMPLETED'))
})

test('month end: reconciliation started 15 October is due at the close of Friday 30 October (D10 25B)', async () => {
  const order = await newOrder()
  const key = await startAt('contract-order', 'FINANCE_SETTLEMENT', { order, slaClock: { now: '2026-10-15T10:00:00+08:00' } })
  assert.is((await timerDue(key, 'SLA_MONTH_END_RECONCILIATION')).toISOString(), '2026-10-30T09:30:00.000Z')
  const result = (await breach(order.orderNumber, 'D10 25B')).details as { result: BreachResult }
  assert.is(result.result.dueAt, '2026-10-30T09:30:00.000Z')
  await completeTask(key, 'FINANCE_SETTLEMENT', { financeSettlement: { settled: true } })
  await openTask(key, 'CUSTOMER_FOLLOW_UP')
})

test('an urgent order gets the shortened level from the same table: 3 h becomes 1.5 h (D7 4, D10 1A)', async () => {
  const order = await newOrder('urgent')
  const start = new Date(Date.now() + 3600000)
  const key = await startAt('contract-order', 'CORRECT_ORDER', { order, slaClock: { now: start.toISOString() } })
  assert.is((await timerDue(key, 'SLA_OPERATOR_RESPONSE')).getTime() - start.getTime(), 90 * 60000)
  const task = await openTask(key, 'CORRECT_ORDER')
  assert.is(task.dueDate && new Date(task.dueDate).toISOString(), new Date(start.getTime() + 90 * 60000).toISOString())
  assert.is(task.followUpDate && new Date(task.followUpDate).toISOString(), new Date(start.getTime() + 45 * 60000).toISOString())
})

test.run()
