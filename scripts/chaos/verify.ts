/**
 * What a chaos run checks once the faults are over: no order lost, every order completed or
 * visibly waiting, no instance stuck, and every side effect exactly once — in PostgreSQL and in
 * the calls the outside services recorded.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { Knex } from 'knex'
import { projectRoot } from '../../lib/config.ts'
import type { EngineRest } from '../../lib/engine-rest.ts'
import { engineHistory, type HistoricActivity, type HistoricInstance } from '../bench/history.ts'
import type { ChaosOrder, DriverState } from './driver.ts'
import type { Call } from './outside.ts'
import { expectedEffects } from './scenarios.ts'

export interface Check {
  name: string
  ok: boolean
  detail: string
}

/** Element types that wait for a person, a message or a time: an instance resting there is waiting visibly. */
const waitingTypes = new Set(['userTask', 'intermediateMessageCatch', 'intermediateTimer', 'intermediateSignalCatch', 'eventBasedGateway', 'receiveTask'])
/** Containers: active while something inside them waits. */
const containerTypes = new Set(['callActivity', 'subProcess', 'multiInstanceBody'])

/**
 * Per process: the message each message-catching element (catch event, receive task, boundary or
 * event sub-process start) waits for, read from processes/*.bpmn.
 */
export function messageCatches(dir = path.join(projectRoot, 'processes')): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>()
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.bpmn'))) {
    const xml = readFileSync(path.join(dir, file), 'utf8')
    const processId = /<bpmn:process id="([^"]+)"/.exec(xml)?.[1]
    if (!processId) continue
    const names = new Map([...xml.matchAll(/<bpmn:message id="([^"]+)" name="([^"]+)"/g)].map(([, id, name]) => [id, name]))
    const catches = new Map<string, string>()
    for (const [, id, ref] of xml.matchAll(/<bpmn:receiveTask id="([^"]+)"[^>]*messageRef="([^"]+)"/g)) catches.set(id, names.get(ref) ?? ref)
    for (const [, id, body] of xml.matchAll(/<bpmn:(?:intermediateCatchEvent|boundaryEvent|startEvent) id="([^"]+)"[^>]*>([\s\S]*?)<\/bpmn:(?:intermediateCatchEvent|boundaryEvent|startEvent)>/g)) {
      const ref = /<bpmn:messageEventDefinition[^>]*messageRef="([^"]+)"/.exec(body)?.[1]
      if (ref) catches.set(id, names.get(ref) ?? ref)
    }
    out.set(processId, catches)
  }
  return out
}

export async function verify(options: { db: Knex; rest: EngineRest; state: DriverState; calls: Call[] }) {
  const { db, rest, state, calls } = options
  const checks: Check[] = []
  const check = (name: string, problems: string[], ok: string) =>
    checks.push({ name, ok: problems.length === 0, detail: problems.length ? problems.slice(0, 12).join('; ') + (problems.length > 12 ? ` … (${problems.length})` : '') : ok })

  const placed = state.orders.filter((o) => o.orderNumber)
  const history = engineHistory(rest)
  const tree = async (root: string): Promise<HistoricInstance[]> => {
    const self = await history.instance(root)
    if (!self) return []
    const children = await history.children(root)
    const below = await Promise.all(children.map((c) => tree(c.id)))
    return [self, ...below.flat()]
  }
  const catches = messageCatches()
  /** Completed message catches per instance and message name: what the engine correlated. */
  const correlatedInEngine = new Map<string, number>()

  // 1. Nothing lost: every order the API accepted has its row and its instances.
  const lost: string[] = []
  const waiting: Record<string, string[]> = {}
  const stuck: string[] = []
  const unexpected: string[] = []
  let completedOrders = 0
  for (const order of placed) {
    const row = await db('orders').where({ order_number: order.orderNumber }).first('status')
    if (!row) lost.push(`${order.orderNumber}: no orders row`)
    const instances = (await Promise.all(order.roots.map(tree))).flat()
    for (const root of order.roots) if (!instances.some((i) => i.id === root)) lost.push(`${order.orderNumber}: instance ${root} unknown to the engine`)
    const activities = new Map<string, HistoricActivity[]>()
    for (const instance of instances) {
      const all = await history.activities(instance.id)
      activities.set(instance.id, all)
      for (const a of all) {
        const message = catches.get(instance.processDefinitionKey)?.get(a.activityId)
        if (message && a.endTime && !a.canceled) correlatedInEngine.set(`${instance.id}|${message}`, (correlatedInEngine.get(`${instance.id}|${message}`) ?? 0) + 1)
      }
    }
    if (instances.length && instances.every((i) => i.endTime) && order.done) {
      completedOrders++
      continue
    }
    // 2. Not completed: it must wait visibly (a user task, an incident, a timer or message wait).
    const waits: string[] = []
    for (const instance of instances.filter((i) => !i.endTime)) {
      const open = (activities.get(instance.id) ?? []).filter((a) => !a.endTime)
      const incidents = await history.incidents(instance.id)
      for (const a of open.filter((n) => waitingTypes.has(n.activityType))) waits.push(`${instance.processDefinitionKey}/${a.activityId}`)
      for (const incident of incidents) waits.push(`incident at ${incident.activityId}: ${(incident.incidentMessage ?? '').slice(0, 120)}`)
      if (!open.some((n) => waitingTypes.has(n.activityType)) && incidents.length === 0 && !open.some((n) => containerTypes.has(n.activityType))) {
        stuck.push(`${order.orderNumber}: ${instance.processDefinitionKey} ${instance.id} active at ${open.map((n) => `${n.activityId}(${n.activityType})`).join(', ') || 'nothing'}`)
      }
    }
    waiting[order.orderNumber!] = waits
    if (waits.length === 0 && !stuck.some((s) => s.startsWith(order.orderNumber!))) stuck.push(`${order.orderNumber}: not completed and waiting for nothing`)
  }
  for (const task of state.unexpectedTasks) unexpected.push(task)
  check('no order lost', [...lost, ...state.orders.filter((o) => !o.orderNumber).map((o) => `order #${o.index} never accepted by the API`)], `${placed.length} orders accepted, each with its row and instances`)
  check('no instance stuck', stuck, `every active instance waits in a user task, timer, message or incident`)
  check('no unexpected user task', unexpected, 'every user task reached is on its scenario\'s path')

  // 3. Exactly once per step, in PostgreSQL and at the outside services.
  const orderNumbers = placed.map((o) => o.orderNumber!)
  const effects = (service: Call['service']) => new Set(calls.filter((c) => c.service === service && c.answer === 'effect').map((c) => c.key))
  const refunds = await db('refunds').whereIn('order_number', orderNumbers).select('order_number', 'amount', 'status', 'idempotency_key', 'provider_reference')
  const shipments = await db('shipments').whereIn('order_number', orderNumbers).select('order_number', 'idempotency_key', 'tracking_number')
  const requests = await db('purchase_requests').whereIn('order_number', orderNumbers).select('order_number', 'request_number')
  const notifications = await db('notifications').whereIn('order_number', orderNumbers).select('order_number', 'idempotency_key', 'status', 'channel')
  const paid = effects('payment')
  const booked = effects('carrier')
  const told = effects('notify')
  const twice: string[] = []
  const byOrder = <T extends { order_number: string }>(rows: T[], n: string) => rows.filter((r) => r.order_number === n)
  for (const order of placed) {
    const n = order.orderNumber!
    const expected = expectedEffects[order.scenario]
    const r = byOrder(refunds, n).filter((x) => x.status === 'succeeded')
    const amounts = r.map((x) => Number(x.amount)).sort((a, b) => a - b)
    const s = byOrder(shipments, n)
    const p = byOrder(requests, n)
    const complete = order.done
    const compare = (what: string, actual: number, wanted: number) => {
      if (actual > wanted || (complete && actual !== wanted)) twice.push(`${n} (${order.scenario}): ${actual} ${what}, expected ${wanted}`)
    }
    compare('refunds', r.length, expected.refunds.length)
    if (complete && JSON.stringify(amounts) !== JSON.stringify(expected.refunds)) twice.push(`${n}: refunded ${amounts.join('+') || 'nothing'}, expected ${expected.refunds.join('+') || 'nothing'}`)
    compare('carrier bookings', s.length, expected.bookings)
    compare('purchase requests', p.length, expected.purchaseRequests)
  }
  const orphan = (service: string, done: Set<string>, recorded: Set<string>) =>
    [...done].filter((key) => !recorded.has(key)).map((key) => `${service} did ${key} but PostgreSQL has no row for it`)
  const missing = (service: string, done: Set<string>, recorded: string[]) =>
    recorded.filter((key) => !done.has(key)).map((key) => `PostgreSQL records ${key} but the ${service} never did it`)
  // The run's own effects are those for its orders: every carrier and payment request names its order
  // (the workers may also take jobs of other instances on a shared engine).
  const ourOrders = new Set(orderNumbers)
  const ourEffects = (service: Call['service']) =>
    new Set(calls.filter((c) => c.service === service && c.answer === 'effect' && ourOrders.has(String(c.body.orderNumber))).map((c) => c.key))
  const refundKeys = refunds.filter((x) => x.status === 'succeeded').map((x) => x.idempotency_key)
  const bookingKeys = shipments.filter((x) => x.tracking_number).map((x) => x.idempotency_key)
  const sentKeys = notifications.filter((x) => x.status === 'sent' && x.channel === 'webhook').map((x) => x.idempotency_key)
  const outside = [
    ...orphan('payment provider', ourEffects('payment'), new Set(refunds.map((x) => x.idempotency_key))),
    ...missing('payment provider', paid, refundKeys),
    ...orphan('carrier', ourEffects('carrier'), new Set(shipments.map((x) => x.idempotency_key))),
    ...missing('carrier', booked, bookingKeys),
    ...missing('notification webhook', told, sentKeys),
  ]
  const duplicateSteps = await db('order_events')
    .whereIn('order_number', orderNumbers)
    .whereNotNull('element_instance_key')
    .where('actor', 'like', 'worker:%')
    .groupBy('element_instance_key', 'step')
    .havingRaw('count(*) > 1')
    .select('element_instance_key', 'step', db.raw('count(*) as n'))
  check('refunds, bookings and purchase requests exactly once per order step', twice, `${refundKeys.length} refunds, ${bookingKeys.length} bookings, ${requests.length} purchase requests, each as its scenario expects`)
  check('outside calls match PostgreSQL', outside, `payment ${paid.size}, carrier ${booked.size}, webhook ${told.size} effects — each with its row, each row with its effect`)
  check('one history row per worker step', duplicateSteps.map((d) => `${d.step} at element instance ${d.element_instance_key}: ${d.n} rows`), 'no worker step recorded twice in order_events')

  // 4. Events: a repeated request is answered from the first; each event id reaches each wait it
  // is for at most once — the outbox records one correlation per event and target, and the
  // engine's history shows no more completed message catches per instance than the outbox
  // correlated to it.
  const messageProblems: string[] = []
  for (const event of state.events) {
    if (event.replayAtOnce !== undefined && event.replayAtOnce !== 202) messageProblems.push(`${event.message} ${event.idempotencyKey}: the repeated request answered ${event.replayAtOnce}`)
    if (event.replayAfterTtl !== undefined && (event.replayAfterTtl !== 202 || !event.replayAfterTtlHeader)) messageProblems.push(`${event.message} ${event.idempotencyKey}: the request after the lifetime answered ${event.replayAfterTtl} (replayed: ${event.replayAfterTtlHeader})`)
  }
  const outbox = await db('event_outbox').whereIn('order_number', orderNumbers).select('message_id', 'target', 'message_name', 'state', 'process_instance_id', 'order_number')
  const sentIds = new Set(state.events.map((e) => e.messageId))
  for (const event of state.events) if (!outbox.some((row) => row.message_id === event.messageId)) messageProblems.push(`${event.message} ${event.messageId}: accepted but not in the outbox`)
  for (const row of outbox.filter((r) => r.state === 'expired')) messageProblems.push(`${row.message_name} ${row.message_id} for ${row.target}: expired, never correlated`)
  const done = new Set(placed.filter((o) => o.done).map((o) => o.orderNumber))
  for (const row of outbox.filter((r) => r.state === 'pending' && done.has(r.order_number))) messageProblems.push(`${row.message_name} ${row.message_id} for ${row.target}: still pending on a completed order`)
  const correlatedByOutbox = new Map<string, number>()
  for (const row of outbox.filter((r) => r.state === 'correlated')) {
    const key = `${row.process_instance_id}|${row.message_name}`
    correlatedByOutbox.set(key, (correlatedByOutbox.get(key) ?? 0) + 1)
  }
  for (const [key, engineCount] of correlatedInEngine) {
    const recorded = correlatedByOutbox.get(key) ?? 0
    if (engineCount > recorded) messageProblems.push(`instance ${key.split('|')[0]}: the engine completed ${engineCount} ${key.split('|')[1]} catches, the outbox correlated ${recorded} events to it`)
  }
  const payments = await db('payments').whereIn('order_number', orderNumbers).select('order_number', 'message_id')
  const paymentEvents = state.events.filter((e) => e.message === 'payment-received')
  if (payments.length !== paymentEvents.length) messageProblems.push(`${payments.length} payments rows for ${paymentEvents.length} payments sent`)
  const correlatedRows = outbox.filter((r) => r.state === 'correlated').length
  const engineCatches = [...correlatedInEngine.values()].reduce((a, b) => a + b, 0)
  check('each event correlated at most once', messageProblems, `${state.events.length} events (${outbox.filter((r) => sentIds.has(r.message_id)).length} outbox rows), each sent again at once and once more after its lifetime: ${correlatedRows} correlations recorded, ${engineCatches} message catches completed in the engine; ${payments.length} payments rows for ${paymentEvents.length} payments`)

  const summary = {
    ordersPlaced: placed.length,
    ordersCompleted: completedOrders,
    ordersWaiting: Object.keys(waiting).length,
    waiting,
    byScenario: Object.fromEntries(
      [...new Set(state.orders.map((o) => o.scenario))].map((s) => [s, { placed: placed.filter((o) => o.scenario === s).length, completed: placed.filter((o) => o.scenario === s && o.done).length }]),
    ),
    effects: {
      refunds: refundKeys.length,
      carrierBookings: bookingKeys.length,
      purchaseRequests: requests.length,
      notificationsSent: sentKeys.length,
      providerCalls: {
        payment: summariseCalls(calls, 'payment'),
        carrier: summariseCalls(calls, 'carrier'),
        notify: summariseCalls(calls, 'notify'),
      },
    },
    messages: {
      sent: state.events.length,
      outboxRows: outbox.length,
      outboxCorrelated: correlatedRows,
      outboxExpired: outbox.filter((r) => r.state === 'expired').length,
      engineMessageCatches: engineCatches,
      replayedAtOnce: state.events.filter((e) => e.replayAtOnce === 202).length,
      replayedAfterTtl: state.events.filter((e) => e.replayAfterTtl === 202 && e.replayAfterTtlHeader).length,
      paymentsRows: payments.length,
    },
  }
  return { checks, summary }
}

function summariseCalls(calls: Call[], service: Call['service']) {
  const mine = calls.filter((c) => c.service === service)
  const count = (answer: Call['answer']) => mine.filter((c) => c.answer === answer).length
  return { calls: mine.length, effects: count('effect'), repeatedKey: count('duplicate'), unavailable: count('unavailable'), rejected: count('rejected') }
}

export type Verification = Awaited<ReturnType<typeof verify>>
export type { ChaosOrder }
