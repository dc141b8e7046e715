/**
 * Service levels on the real engine: for each kind of level (minutes, hours, a date before
 * another date, working hours across a weekend, working days across a public holiday, month end,
 * the urgent policy) the engine's serviceLevels bean turns the row of processes/service-levels.json
 * and the business calendar into one due instant per guarded step: the boundary timer's job waits
 * for it, the user task shows it as due date in Tasklist, and `sla.<id>` keeps it for that very
 * activity instance. When the timer fires, escalation-notify records the breach in
 * `service_level_deadlines` exactly once, tells the row's roles (notifications, order_events), and
 * the guarded work still completes — or, for the GM's approval (D10 2C, interrupting), the deputy
 * GM decides instead.
 *
 * The engine's clock cannot be moved over REST: each instance carries `slaClock.now`, the moment
 * its levels count from, and the test fires the timer through the job API (`POST /job/{id}/execute`)
 * instead of waiting for a date days ahead. Due dates are chosen in the future so that only the test
 * fires them, except where the calendar forces a past date (the 2026 National Day holiday: the
 * engine then fires the overdue timer at once, on its own); one check lets the job executor fire a
 * due SLA timer in real time. Guarded steps are reached directly with start instructions.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { projectRoot } from '../../lib/config.ts'
import { toEngineVariables } from '../../lib/engine-rest.ts'
import { createRepositories } from '../../lib/repositories/index.ts'
import {
  cancelInstance,
  completeUserTask,
  eventually,
  fireTimer,
  rest,
  search,
  timerJob,
  uniqueOrderNumber,
  waitUserTask,
  withWorkers,
  type TimerJob,
  type UserTask,
} from '../helpers.ts'

const { db } = withWorkers(test)
const repos = createRepositories(db)
const started: string[] = []

test.after(async () => {
  for (const id of started) await cancelInstance(id).catch(() => undefined)
})

/** The business calendar as the engine reads it (processes/business-calendar.json), for expected dates. */
const calendar = JSON.parse(readFileSync(path.join(projectRoot, 'processes', 'business-calendar.json'), 'utf8')) as {
  workingWeekdays: number[]
  holidays: string[]
  makeUpWorkingDays: string[]
}
const HOUR = 3600000
const DAY = 24 * HOUR
/** China local time (Asia/Shanghai, UTC+8 all year): an instant of a local date and time. */
const local = (day: string, time: string) => new Date(`${day}T${time}:00+08:00`)
/** The local date (YYYY-MM-DD) of an instant in China. */
const localDay = (at: Date) => new Date(at.getTime() + 8 * HOUR).toISOString().slice(0, 10)
const addDays = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10)
const weekday = (day: string) => new Date(`${day}T00:00:00Z`).getUTCDay() || 7
const workingDay = (day: string) =>
  calendar.makeUpWorkingDays.includes(day) || (calendar.workingWeekdays.includes(weekday(day)) && !calendar.holidays.includes(day))
/** A round instant a day ahead: a due date counted from it is one the job executor leaves alone. */
const futureStart = () => new Date(Math.ceil(Date.now() / HOUR) * HOUR + DAY)
const iso = (date: string | Date | null | undefined) => (date ? new Date(date).toISOString() : String(date))

/** An order row (breach notifications reference it) and the order variable of the processes. */
async function newOrder(prefix: string, priority: 'normal' | 'urgent' = 'normal') {
  const orderNumber = uniqueOrderNumber(prefix)
  await repos.orders.upsert({
    order_number: orderNumber, channel: 'contract', customer_name: 'Foshan Power Supply Bureau', priority, status: 'production-instructed',
    data: { orderNumber }, process_instance_key: null,
  })
  return { orderNumber, priority, customer: { name: 'Foshan Power Supply Bureau' }, deliveryDate: '2027-03-01', shippingMethod: 'truck' }
}

/** Starts `processKey` at `elementId` for the order (business key and flat orderNumber, as the API starts instances). */
async function startAt(processKey: string, elementId: string, orderNumber: string, variables: Record<string, unknown>): Promise<string> {
  const instance = await rest.post<{ id: string }>(`/process-definition/key/${processKey}/start`, {
    businessKey: orderNumber,
    variables: toEngineVariables(JSON.parse(JSON.stringify({ ...variables, orderNumber }))),
    startInstructions: [{ type: 'startBeforeActivity', activityId: elementId }],
  })
  started.push(instance.id)
  return instance.id
}

/** `sla.<id>` as the serviceLevels bean recorded it. */
interface RecordedDeadline {
  clause: string
  kind: string
  limit: string | null
  urgent: boolean
  startedAt: string
  due: string
  followUp: string
  activityInstanceId: string
}

interface GuardedStep {
  job: TimerJob
  task: UserTask
  deadline: RecordedDeadline
}

/** The open activity instance of `elementId` (the guarded step) in the instance's activity tree. */
async function activityInstanceOf(instanceId: string, elementId: string): Promise<string | undefined> {
  interface Node { id: string; activityId: string; childActivityInstances: Node[] }
  const find = (node: Node): Node | undefined =>
    node.activityId === elementId ? node : node.childActivityInstances.map(find).find(Boolean)
  return find(await rest.get<Node>(`/process-instance/${instanceId}/activity-instances`))?.id
}

/**
 * The guarded step waits for one instant: its timer job's due date, its task's due date and
 * `sla.<id>.due` are all `due`, recorded for the step's current activity instance.
 */
async function guardedStep(instanceId: string, host: string, timer: string, slaId: string, due: Date): Promise<GuardedStep> {
  const job = await timerJob(instanceId, timer)
  const task = await waitUserTask(instanceId, host)
  const deadline = ((await search.variables(instanceId)).sla as Record<string, RecordedDeadline> | undefined)?.[slaId]
  assert.ok(deadline, `sla.${slaId} is recorded`)
  assert.is(iso(job.dueDate), due.toISOString(), `the timer ${timer} waits for the due instant`)
  assert.is(iso(task.due), due.toISOString(), `Tasklist shows ${host} due at the instant its timer waits for`)
  assert.is(iso(deadline.due), due.toISOString(), `sla.${slaId}.due`)
  assert.is(iso(task.followUp), iso(deadline.followUp), 'the task follow-up date is the recorded one')
  assert.is(deadline.activityInstanceId, await activityInstanceOf(instanceId, host), `sla.${slaId} belongs to this ${host}`)
  return { job, task, deadline }
}

/** Whether element `elementId` has completed in the instance. */
const completed = async (instanceId: string, elementId: string) =>
  (await search.flowNodes(instanceId)).some((n) => n.flowNodeId === elementId && n.state === 'COMPLETED')

interface BreachResult {
  sla: string
  dueAt: string
  firedAt: string
  stepInstanceKey: string
  recipients: string[]
}

/**
 * After the timer fired: its escalation ran once, wrote exactly one breached deadline for the
 * guarded activity instance, one sla-breached event naming the clause and one notification per role.
 */
async function breachedOnce(
  instanceId: string,
  options: { orderNumber: string; timer: string; host: string; slaId: string; clause: string; roles: string[]; due: Date; deadline: RecordedDeadline },
) {
  const { orderNumber, timer, host, slaId, clause, roles, due, deadline } = options
  const escalation = timer.replace(/^SLA_/, 'ESCALATE_')
  await eventually(`${escalation} of ${instanceId} completed`, () => completed(instanceId, escalation), 30000)
  const rows = await db('service_level_deadlines').where({ process_instance_key: instanceId, sla_id: slaId })
  assert.is(rows.length, 1, `one ${slaId} deadline row`)
  const [row] = rows
  assert.ok(row.breached_at, 'the deadline is marked breached')
  assert.is(row.clause, clause)
  assert.is(row.element_id, host)
  assert.is(row.element_instance_key, deadline.activityInstanceId, 'keyed by the guarded activity instance')
  assert.is(row.order_number, orderNumber)
  assert.is(iso(row.due_at), due.toISOString())
  assert.is(iso(row.started_at), iso(deadline.startedAt))
  assert.is(row.escalate_to, roles.join(','))
  const events = (await repos.events.listForOrder(orderNumber)).filter((e) => e.outcome === 'sla-breached')
  assert.is(events.length, 1, 'one sla-breached event')
  assert.is(events[0].clause, clause)
  const result = (events[0].details as { result: BreachResult }).result
  assert.is(result.sla, slaId)
  assert.is(result.dueAt, due.toISOString())
  assert.is(result.stepInstanceKey, deadline.activityInstanceId, 'the event names the late step as the register does')
  assert.equal([...result.recipients].sort(), roles.map((r) => `group:${r}`).sort(), 'the roles of the row were told')
  const notices = await db('notifications').where({ order_number: orderNumber, template: 'sla-breached' })
  assert.equal(notices.map((n) => n.recipient).sort(), roles.map((r) => `group:${r}`).sort(), 'one notification per role')
  for (const notice of notices) assert.is(notice.payload.clause, clause)
  assert.is((await search.timerJobs(instanceId)).filter((j) => j.activityId === timer).length, 0, `${timer} fired once and is gone`)
  return row
}

/** A non-interrupting level: the guarded task is still the same open task after the escalation. */
async function stillHeld(instanceId: string, host: string, task: UserTask) {
  assert.equal((await search.userTasks(instanceId, host)).map((t) => t.key), [task.key], 'the work stays with its holder')
}

test('minutes: a service request not forwarded within 60 minutes escalates to after-sales; the case goes on (D2 四.1(1))', async () => {
  const order = await newOrder('SLM')
  const start = futureStart()
  const due = new Date(start.getTime() + 60 * 60000)
  const id = await startAt('after-sales-case', 'RECORD_SERVICE_REQUEST', order.orderNumber, {
    order,
    serviceCase: { caseNumber: `AS-${order.orderNumber}`, orderNumber: order.orderNumber, kind: 'service-request', description: 'Door hinge loose' },
    slaClock: { now: start.toISOString() },
  })
  const step = await guardedStep(id, 'RECORD_SERVICE_REQUEST', 'SLA_SERVICE_REQUEST_FORWARDED', 'serviceRequestForwarded', due)
  assert.is(iso(step.deadline.followUp), new Date(start.getTime() + 30 * 60000).toISOString(), 'follow-up halfway')
  assert.not.ok(await completed(id, 'ESCALATE_SERVICE_REQUEST_FORWARDED'), 'nothing escalated before the timer fires')
  await fireTimer(step.job)
  await breachedOnce(id, {
    orderNumber: order.orderNumber, timer: 'SLA_SERVICE_REQUEST_FORWARDED', host: 'RECORD_SERVICE_REQUEST', slaId: 'serviceRequestForwarded',
    clause: 'D2 四.1(1)', roles: ['after-sales'], due, deadline: step.deadline,
  })
  await stillHeld(id, 'RECORD_SERVICE_REQUEST', step.task)
  await completeUserTask(step.task, {
    serviceRequest: { receivedAt: '2026-11-24T09:00', orderNumber: order.orderNumber, customer: 'Foshan Power Supply Bureau', problemDescription: 'Door hinge loose', requestedService: 'repair' },
  })
  await waitUserTask(id, 'CONTACT_CUSTOMER')
})

test('hours: the customer not contacted within 2 h escalates to the deputy GM; the contact still completes (D2 四.1(2))', async () => {
  const order = await newOrder('SLH')
  const start = futureStart()
  const due = new Date(start.getTime() + 2 * HOUR)
  const id = await startAt('after-sales-case', 'CONTACT_CUSTOMER', order.orderNumber, {
    order,
    serviceCase: { caseNumber: `AS-${order.orderNumber}`, orderNumber: order.orderNumber, kind: 'service-request', description: 'Door hinge loose' },
    slaClock: { now: start.toISOString() },
  })
  const step = await guardedStep(id, 'CONTACT_CUSTOMER', 'SLA_CUSTOMER_CONTACTED', 'customerContacted', due)
  await fireTimer(step.job)
  await breachedOnce(id, {
    orderNumber: order.orderNumber, timer: 'SLA_CUSTOMER_CONTACTED', host: 'CONTACT_CUSTOMER', slaId: 'customerContacted',
    clause: 'D2 四.1(2)', roles: ['deputy-general-manager'], due, deadline: step.deadline,
  })
  await stillHeld(id, 'CONTACT_CUSTOMER', step.task)
  await completeUserTask(step.task, { customerContact: { contactedAt: '2026-11-24T10:00', channel: 'phone', summary: 'Hinge to be replaced', onsiteVisit: 'not-required' } })
  await eventually('CONTACT_CUSTOMER completed', () => completed(id, 'CONTACT_CUSTOMER'))
})

test('N days before a date: the shipping instruction is due at the start of work 1 day before the delivery date (D2 三.1)', async () => {
  const order = await newOrder('SLB')
  const deliveryDate = addDays(localDay(new Date()), 3)
  const due = local(addDays(deliveryDate, -1), '08:30')
  const id = await startAt('shipment', 'SHIPPING_INSTRUCTION', order.orderNumber, {
    order,
    shipment: { orderNumber: order.orderNumber, deliveryDate, shippingMethod: 'truck' },
  })
  const step = await guardedStep(id, 'SHIPPING_INSTRUCTION', 'SLA_SHIPPING_INSTRUCTION', 'shippingInstruction', due)
  await fireTimer(step.job)
  await breachedOnce(id, {
    orderNumber: order.orderNumber, timer: 'SLA_SHIPPING_INSTRUCTION', host: 'SHIPPING_INSTRUCTION', slaId: 'shippingInstruction',
    clause: 'D2 三.1', roles: ['sales-manager'], due, deadline: step.deadline,
  })
  await stillHeld(id, 'SHIPPING_INSTRUCTION', step.task)
  await completeUserTask(step.task, {
    shippingInstruction: { contractChecked: true, paymentChecked: true, dispatchDate: addDays(deliveryDate, -2), deliveryDate, deliveryAddress: 'Chancheng District, Foshan' },
  })
  await eventually('SHIPPING_INSTRUCTION completed', () => completed(id, 'SHIPPING_INSTRUCTION'))
})

test('working hours across a weekend: 2 working hours from Friday 17:00 end Monday 10:00, then the deputy GM decides and the order goes on (D10 2C)', async () => {
  const order = await newOrder('SLW')
  // The next Friday (a working day) followed by a weekend off and a working Monday.
  let friday = addDays(localDay(new Date()), 1)
  while (!(weekday(friday) === 5 && workingDay(friday) && !workingDay(addDays(friday, 1)) && !workingDay(addDays(friday, 2)) && workingDay(addDays(friday, 3)))) {
    friday = addDays(friday, 1)
  }
  const start = local(friday, '17:00')
  const due = local(addDays(friday, 3), '10:00')
  // What the steps before GM_APPROVAL would have written: the reviewed date is not feasible, so after the ruling the date is negotiated.
  const id = await startAt('contract-order', 'GM_APPROVAL', order.orderNumber, {
    order, slaClock: { now: start.toISOString() }, orderClassification: { classification: 'non-regular' }, engineeringReview: { decision: 'not-feasible' },
  })
  const step = await guardedStep(id, 'GM_APPROVAL', 'SLA_GM_APPROVAL', 'gmApproval', due)
  assert.is(step.deadline.kind, 'working-duration')
  assert.equal(step.task.candidateGroup, ['general-manager'])
  assert.not.ok(await completed(id, 'SLA_GM_APPROVAL'), 'the GM keeps the task until the timer fires')

  await fireTimer(step.job)
  await breachedOnce(id, {
    orderNumber: order.orderNumber, timer: 'SLA_GM_APPROVAL', host: 'GM_APPROVAL', slaId: 'gmApproval',
    clause: 'D10 2C', roles: ['deputy-general-manager'], due, deadline: step.deadline,
  })
  const deputy = await waitUserTask(id, 'DEPUTY_GM_APPROVAL')
  assert.equal(deputy.candidateGroup, ['deputy-general-manager'])
  assert.is(deputy.formKey, 'contract-order.deputy-gm-approval', 'the deputy task links its form')
  assert.equal(await search.userTasks(id, 'GM_APPROVAL'), [], 'the GM task is taken away')
  assert.ok((await search.flowNodes(id)).some((n) => n.flowNodeId === 'GM_APPROVAL' && n.state === 'TERMINATED'), 'GM_APPROVAL was interrupted')
  await completeUserTask(deputy, { gmApproval: { decision: 'approved', decidedBy: 'deputy-general-manager', comment: 'GM travelling' } })
  await eventually('the approved plan released', () => completed(id, 'RELEASE_TECHNICAL_FILES'))
  await waitUserTask(id, 'NEGOTIATE_EXTENSION')
})

test('working days across a public holiday: payment 5 working days overdue from 29 September 2026 is due 12 October, and escalates at once (D10 26B)', async () => {
  const order = await newOrder('SLD')
  // 30 Sep counts; 1–7 October are the National Day holiday; Saturday 10 October is a make-up working day.
  const due = new Date('2026-10-12T02:00:00.000Z')
  assert.ok(due.getTime() < Date.now(), 'this date is past: the engine fires the overdue timer itself')
  const id = await startAt('contract-order', 'CHASE_PAYMENT', order.orderNumber, {
    order, slaClock: { now: '2026-09-29T10:00:00+08:00' }, paymentCollection: { remindOn: '2027-06-01' },
  })
  // The job may be gone already: its due date stays in the job log.
  const created = await eventually('the creation of SLA_PAYMENT_OVERDUE in the job log', async () => {
    const log = await rest.get<{ jobDueDate: string | null }[]>(`/history/job-log?processInstanceId=${id}&activityIdIn=SLA_PAYMENT_OVERDUE&creationLog=true`)
    return log[0]
  })
  assert.is(iso(created.jobDueDate), due.toISOString(), 'the timer waited for 12 October 10:00')
  const task = await waitUserTask(id, 'CHASE_PAYMENT')
  assert.is(iso(task.due), due.toISOString(), 'Tasklist shows the same due date')
  const deadline = ((await search.variables(id)).sla as Record<string, RecordedDeadline>).paymentOverdue
  assert.is(deadline.startedAt, '2026-09-29T02:00:00.000Z', 'counted from slaClock.now')
  await breachedOnce(id, {
    orderNumber: order.orderNumber, timer: 'SLA_PAYMENT_OVERDUE', host: 'CHASE_PAYMENT', slaId: 'paymentOverdue',
    clause: 'D10 26B', roles: ['finance'], due, deadline,
  })
  await stillHeld(id, 'CHASE_PAYMENT', task)
  await completeUserTask(task, { paymentCollection: { remindOn: '2027-06-01', note: 'customer promised payment' } })
  await eventually('CHASE_PAYMENT completed', () => completed(id, 'CHASE_PAYMENT'))
})

test('month end: reconciliation started mid-month is due at the close of the last working day of that month (D10 25B)', async () => {
  const order = await newOrder('SLE')
  const today = localDay(new Date())
  const month = new Date(Date.UTC(Number(today.slice(0, 4)), Number(today.slice(5, 7)), 1)).toISOString().slice(0, 7)
  let last = addDays(new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 1)).toISOString().slice(0, 10), -1)
  while (!workingDay(last)) last = addDays(last, -1)
  const due = local(last, '17:30')
  const id = await startAt('contract-order', 'FINANCE_SETTLEMENT', order.orderNumber, { order, slaClock: { now: `${month}-15T10:00:00+08:00` } })
  const step = await guardedStep(id, 'FINANCE_SETTLEMENT', 'SLA_MONTH_END_RECONCILIATION', 'monthEndReconciliation', due)
  assert.is(step.deadline.kind, 'month-end')
  await fireTimer(step.job)
  await breachedOnce(id, {
    orderNumber: order.orderNumber, timer: 'SLA_MONTH_END_RECONCILIATION', host: 'FINANCE_SETTLEMENT', slaId: 'monthEndReconciliation',
    clause: 'D10 25B', roles: ['general-manager'], due, deadline: step.deadline,
  })
  await stillHeld(id, 'FINANCE_SETTLEMENT', step.task)
  await completeUserTask(step.task, { financeSettlement: { settled: true } })
  await waitUserTask(id, 'CUSTOMER_FOLLOW_UP')
})

test('an urgent order gets the shortened level from the same table: 3 h becomes 1.5 h (D7 4, D10 1A)', async () => {
  const order = await newOrder('SLU', 'urgent')
  const start = futureStart()
  const due = new Date(start.getTime() + 90 * 60000)
  const id = await startAt('contract-order', 'CORRECT_ORDER', order.orderNumber, { order, slaClock: { now: start.toISOString() } })
  const step = await guardedStep(id, 'CORRECT_ORDER', 'SLA_OPERATOR_RESPONSE', 'operatorResponse', due)
  assert.is(iso(step.task.followUp), new Date(start.getTime() + 45 * 60000).toISOString())
  assert.ok(step.deadline.urgent, 'marked urgent')
  await fireTimer(step.job)
  const row = await breachedOnce(id, {
    orderNumber: order.orderNumber, timer: 'SLA_OPERATOR_RESPONSE', host: 'CORRECT_ORDER', slaId: 'operatorResponse',
    clause: 'D10 1A', roles: ['sales-manager'], due, deadline: step.deadline,
  })
  assert.ok(row.urgent, 'the register keeps that the urgent policy applied')
  assert.is(row.limit, 'PT3H × 0.5')
  await stillHeld(id, 'CORRECT_ORDER', step.task)
})

test('real time: a due SLA timer fires on its own within 2 s of its due instant, not before (job executor, D10 1A)', async () => {
  const order = await newOrder('SLR')
  // Counted from 3 h minus 2 s ago: due 2 s from now.
  const due = new Date(Date.now() + 2000)
  const id = await startAt('contract-order', 'CORRECT_ORDER', order.orderNumber, { order, slaClock: { now: new Date(due.getTime() - 3 * HOUR).toISOString() } })
  const task = await waitUserTask(id, 'CORRECT_ORDER')
  assert.is(iso(task.due), due.toISOString())
  const deadline = await eventually('sla.operatorResponse', async () => ((await search.variables(id)).sla as Record<string, RecordedDeadline> | undefined)?.operatorResponse)
  await breachedOnce(id, {
    orderNumber: order.orderNumber, timer: 'SLA_OPERATOR_RESPONSE', host: 'CORRECT_ORDER', slaId: 'operatorResponse',
    clause: 'D10 1A', roles: ['sales-manager'], due, deadline,
  })
  const log = await rest.get<{ timestamp: string; jobDueDate: string | null; successLog: boolean }[]>(
    `/history/job-log?processInstanceId=${id}&activityIdIn=SLA_OPERATOR_RESPONSE&successLog=true`,
  )
  assert.is(log.length, 1, 'the timer ran once')
  assert.is(iso(log[0].jobDueDate), due.toISOString())
  const late = new Date(log[0].timestamp).getTime() - due.getTime()
  assert.ok(late >= 0, `fired ${-late} ms before its due instant`)
  assert.ok(late <= 2000, `fired ${late} ms after its due instant (at most 2 s)`)
  await stillHeld(id, 'CORRECT_ORDER', task)
})

test.run()
