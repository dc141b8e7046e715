/**
 * The chaos driver: places the run's orders through the API and plays every person and outside
 * party on their way — completes user tasks through the engine's REST API (`POST
 * /task/{id}/complete`, as Tasklist does), sends payments, signatures, deliveries, goods receipts,
 * changes, cancellations and returns through the API — reading what the engine waits for from
 * its open tasks and message subscriptions. Faults make calls fail; a failed call is simply tried
 * again on the next tick with the same Idempotency-Key, as an integrator would. Every event is
 * also sent again at once (same key: a replay) and once more after its lifetime (same key again);
 * verify.ts checks that each event id was correlated at most once per wait it is for.
 */
import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import { EngineRestError, toEngineVariables, type EngineRest } from '../../lib/engine-rest.ts'
import { engineHistory, engineTime, type MessageSubscription, type OpenTask } from '../bench/history.ts'
import { orderBody, returnBody, scenarioOf, shopPrice, userTaskAnswers, daysFromNow, type Scenario } from './scenarios.ts'

export interface ChaosOrder {
  index: number
  scenario: Scenario
  orderNumber?: string
  /** Root instances of the order: the order's own, and the return's. */
  roots: string[]
  returnNumber?: string
  done: boolean
  /** Engine time the last root ended. */
  completedAt?: number
}

/** One event sent into a running order, with what became of its duplicates. */
export interface SentEvent {
  orderNumber: string
  message: string
  idempotencyKey: string
  messageId?: string
  /** API answers to the same request again at once and after the event's lifetime. */
  replayAtOnce?: number
  replayAfterTtl?: number
  replayAfterTtlHeader?: boolean
  sendAgainAt: number
  ttlMs: number
}

export interface DriverState {
  orders: ChaosOrder[]
  events: SentEvent[]
  userTasksCompleted: number
  apiRetries: number
  unexpectedTasks: Set<string>
}

const minute = 60000
/** The lifetime the API gives each event in its outbox (api/routes/order-events.ts). */
const ttlOf: Record<string, number> = { 'delivery-confirmed': 24 * 60 * minute }

export function createDriver(options: {
  app: FastifyInstance
  apiKey: string
  rest: EngineRest
  db: Knex
  count: number
  concurrency: number
  runId: string
  say: (line: string) => void
}) {
  const { app, apiKey, rest, db, count, concurrency, runId, say } = options
  const history = engineHistory(rest)
  const state: DriverState = { orders: [], events: [], userTasksCompleted: 0, apiRetries: 0, unexpectedTasks: new Set() }
  const byNumber = new Map<string, ChaosOrder>()
  const instanceIds = new Set<string>()
  const handled = new Set<string>()
  const inFlight = new Set<Promise<void>>()
  const background = (id: string, work: () => Promise<void>) => {
    if (handled.has(id)) return
    handled.add(id)
    const run = work()
      .catch((error) => {
        // Not done: the next tick tries again (a fault is under way).
        handled.delete(id)
        state.apiRetries++
        if (!/fetch failed|ECONNREFUSED|cannot be reached|503|500|terminat|connect|timeout|Connection/i.test(String(error))) say(`retrying ${id}: ${String(error).slice(0, 200)}`)
      })
      .finally(() => inFlight.delete(run))
    inFlight.add(run)
  }
  /** The order of an instance (root or called): every instance carries the order number as business key. */
  const orderOfInstance = async (id: string) => {
    const instance = await history.instance(id)
    const order = instance?.businessKey ? byNumber.get(instance.businessKey) : undefined
    if (order) instanceIds.add(id)
    return order
  }

  const post = async (url: string, key: string, payload: unknown) =>
    app.inject({ method: 'POST', url, payload: payload as object, headers: { 'x-api-key': apiKey, 'idempotency-key': key } })

  const placeOrder = async (order: ChaosOrder) => {
    const answer = await post('/orders', `chaos-${runId}-order-${order.index}`, orderBody(order.scenario, order.index))
    if (answer.statusCode !== 201) throw new Error(`POST /orders answered ${answer.statusCode}: ${answer.body.slice(0, 200)}`)
    const { orderNumber, processInstanceKey } = answer.json()
    order.orderNumber = orderNumber
    order.roots.push(String(processInstanceKey))
    byNumber.set(orderNumber, order)
    instanceIds.add(String(processInstanceKey))
  }

  /** Sends one event through the API, then the same request again at once (see the file's comment). */
  const sendEvent = async (order: ChaosOrder, path: string, message: string, body: Record<string, unknown>, key: string) => {
    const url = `/orders/${order.orderNumber}/${path}`
    const first = await post(url, key, body)
    if (first.statusCode === 409 && path === 'cancellation') return
    if (first.statusCode !== 202) throw new Error(`POST ${url} answered ${first.statusCode}: ${first.body.slice(0, 200)}`)
    const { messageId } = first.json()
    const ttlMs = ttlOf[message] ?? minute
    const event: SentEvent = { orderNumber: order.orderNumber!, message, idempotencyKey: key, messageId, sendAgainAt: Date.now() + Math.min(ttlMs, minute) + 5000, ttlMs }
    state.events.push(event)
    for (let tries = 0; tries < 30; tries++) {
      event.replayAtOnce = (await post(url, key, body)).statusCode
      if (event.replayAtOnce < 500) break
      await new Promise((resolve) => setTimeout(resolve, 2000))
    }
  }

  /** The same requests again once their events' lifetime (at most a minute) has passed. */
  const sendLateDuplicates = () => {
    for (const event of state.events) {
      if (event.replayAfterTtl !== undefined || Date.now() < event.sendAgainAt) continue
      background(`late:${event.idempotencyKey}`, async () => {
        const answer = await post(`/orders/${event.orderNumber}/${pathOf[event.message]}`, event.idempotencyKey, bodies.get(event.idempotencyKey))
        // An outage answers 503: the integrator tries again later, as with any request.
        if (answer.statusCode >= 500) throw new Error(`the request after the lifetime answered ${answer.statusCode}`)
        event.replayAfterTtl = answer.statusCode
        event.replayAfterTtlHeader = answer.headers['idempotent-replayed'] === 'true'
      })
    }
  }
  const bodies = new Map<string, Record<string, unknown>>()
  const pathOf: Record<string, string> = {
    'payment-received': 'payments', 'contract-signed': 'contract-signed', 'delivery-confirmed': 'delivery-confirmations',
    'goods-received': 'goods-received', 'order-cancel-requested': 'cancellation', 'order-change-requested': 'changes',
    'return-received': 'returned-goods',
  }
  const event = (order: ChaosOrder, message: string, id: string, body: Record<string, unknown>) => {
    const key = `chaos-${runId}-${id}`
    // A repeat is the same request: the body of the first sending, whatever this round computed.
    if (!bodies.has(key)) bodies.set(key, body)
    background(`event:${id}`, () => sendEvent(order, pathOf[message], message, bodies.get(key)!, key))
  }

  const completeTask = async (taskId: string, variables: Record<string, unknown>) => {
    try {
      await rest.post(`/task/${taskId}/complete`, { variables: toEngineVariables(variables) })
      state.userTasksCompleted++
    } catch (error) {
      // Already completed (the earlier call got through before a fault) or ended with its scope.
      if (error instanceof EngineRestError && (error.status === 404 || /cannot find task|does not exist/i.test(error.engineMessage))) return
      throw error
    }
  }

  const onUserTask = (task: OpenTask, order: ChaosOrder) => {
    const elementId = task.taskDefinitionKey
    const n = order.orderNumber!
    if (elementId === 'CONFIRM_ORDER' && order.scenario === 'cancelled') {
      event(order, 'order-cancel-requested', `cancel-${order.index}`, { reason: 'found it cheaper', requestedBy: 'customer' })
      return
    }
    if (elementId === 'CONFIRM_ORDER' && order.scenario === 'exchanged') {
      event(order, 'order-change-requested', `change-${order.index}`, { description: 'grey instead of black', requestedBy: 'customer' })
    }
    const answer = userTaskAnswers[elementId]
    if (!answer) {
      state.unexpectedTasks.add(`${n}:${elementId}`)
      return
    }
    background(`task:${task.id}`, () => completeTask(task.id, answer(n)))
  }

  const onSubscription = (subscription: MessageSubscription, order: ChaosOrder) => {
    const { eventName: messageName, activityId: elementId } = subscription
    const i = order.index
    if (messageName === 'payment-received') {
      const balance = elementId === 'BALANCE_RECEIVED'
      const amount = order.scenario === 'contract' ? (balance ? 0.01 : 520) : shopPrice
      event(order, messageName, `pay-${i}-${elementId}`, { amount, kind: balance ? 'balance' : 'full', reference: `CHAOS-${runId}-${i}-${elementId}` })
    } else if (messageName === 'contract-signed') {
      event(order, messageName, `signed-${i}`, { signedOn: daysFromNow(0), signedBy: 'Zhang San', contractNumber: `HT-${order.orderNumber}` })
    } else if (messageName === 'delivery-confirmed') {
      // One webhook per order: the API keeps it for the shipment and then the shop order (lifetime one day).
      event(order, messageName, `delivered-${i}`, { deliveredOn: daysFromNow(2), signedBy: 'Zhang San', damaged: false })
    } else if (messageName === 'goods-received') {
      // The wait is for one purchase request (its number is a local variable of the waiting execution).
      background(`goods:${subscription.id}`, async () => {
        const local = await rest
          .get<{ value: string }>(`/execution/${subscription.executionId}/localVariables/requestNumber`)
          .catch(() => undefined)
        const requests = await db('purchase_requests')
          .where({ order_number: order.orderNumber, ...(local ? { request_number: local.value } : {}) })
          .select('request_number', 'quantity')
        if (requests.length === 0) throw new Error(`purchase request ${local?.value ?? `of ${order.orderNumber}`} not found yet`)
        for (const request of requests) {
          event(order, messageName, `goods-${i}-${request.request_number}`, { requestNumber: request.request_number, countedQuantity: Number(request.quantity) })
        }
      })
    } else if (messageName === 'return-received' && order.returnNumber) {
      event(order, messageName, `returned-goods-${i}`, { returnNumber: order.returnNumber, receivedAt: new Date().toISOString(), note: 'one parcel, seal intact' })
    }
  }

  const startReturn = (order: ChaosOrder) =>
    background(`return:${order.index}`, async () => {
      const answer = await post('/returns', `chaos-${runId}-return-${order.index}`, returnBody(order.orderNumber!))
      if (answer.statusCode !== 201) throw new Error(`POST /returns answered ${answer.statusCode}: ${answer.body.slice(0, 200)}`)
      const { processInstanceKey, returnNumber } = answer.json()
      order.returnNumber = returnNumber
      if (!order.roots.includes(String(processInstanceKey))) order.roots.push(String(processInstanceKey))
      instanceIds.add(String(processInstanceKey))
    })

  const endedRoots = new Set<string>()
  let next = 0

  /** One round: place orders, read what the engine waits for, act on it. */
  async function tick(): Promise<void> {
    const open = state.orders.filter((o) => !o.done)
    while (next < count && open.length < concurrency) {
      const order: ChaosOrder = { index: next++, scenario: scenarioOf(next - 1), roots: [], done: false }
      state.orders.push(order)
      open.push(order)
    }
    for (const order of open) {
      if (!order.orderNumber) background(`order:${order.index}`, () => placeOrder(order))
    }
    sendLateDuplicates()
    const waiting = open.filter((o) => o.orderNumber)
    if (waiting.length === 0) return
    const [tasks, subscriptions, roots] = await Promise.all([
      history.openTasks({ businessKeys: waiting.map((o) => o.orderNumber!) }),
      history.messageSubscriptions(),
      history.instances(waiting.flatMap((o) => o.roots).filter((root) => !endedRoots.has(root))),
    ])
    for (const root of roots) {
      if (!root.endTime) continue
      const order = byNumber.get(root.businessKey ?? '')
      if (!order || !order.roots.includes(root.id)) continue
      endedRoots.add(root.id)
      if (order.scenario === 'returned' && !order.returnNumber && root.id === order.roots[0]) startReturn(order)
      else if (order.roots.every((id) => endedRoots.has(id)) && (order.scenario !== 'returned' || order.roots.length === 2)) {
        order.done = true
        order.completedAt = engineTime(root.endTime)
      }
    }
    for (const task of tasks) {
      if (handled.has(`task:${task.id}`)) continue
      const order = await orderOfInstance(task.processInstanceId)
      if (order && !order.done) onUserTask(task, order)
    }
    for (const subscription of subscriptions) {
      const order = await orderOfInstance(subscription.processInstanceId)
      if (order && !order.done) onSubscription(subscription, order)
    }
  }

  return {
    state,
    tick,
    finished: () => next >= count && state.orders.every((o) => o.done),
    settle: () => Promise.allSettled([...inFlight]),
    /** Every instance of the run's orders seen so far (roots and called). */
    instanceIds: () => [...instanceIds],
  }
}

export type Driver = ReturnType<typeof createDriver>
