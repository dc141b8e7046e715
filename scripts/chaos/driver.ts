/**
 * The chaos driver: places the run's orders through the API and plays every person and outside
 * party on their way — completes user tasks through the engine's REST API, sends payments,
 * signatures, deliveries, goods receipts, changes, cancellations and returns through the API —
 * reading what the engine waits for from its exported records. Faults make calls fail; a failed
 * call is simply tried again on the next tick with the same Idempotency-Key, as an integrator
 * would. Every event is also sent again at once (same key: a replay), published a second time
 * straight to the engine with the same messageId (which the engine must refuse), and sent once
 * more after its time to live (same key again).
 */
import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import type { EngineRest } from '../../lib/camunda.ts'
import { EngineRestError } from '../../lib/camunda.ts'
import { isAlreadyPublished } from '../../api/engine.ts'
import { multiSearch, terms, type EngineRecord, type ProcessValue, type SubscriptionValue, type UserTaskValue } from '../bench/records.ts'
import { orderBody, returnBody, scenarioOf, shopPrice, userTaskAnswers, daysFromNow, type Scenario } from './scenarios.ts'

type ZeebeClient = ReturnType<import('@camunda8/sdk').Camunda8['getZeebeGrpcApiClient']>

export interface ChaosOrder {
  index: number
  scenario: Scenario
  orderNumber?: string
  /** Root instances of the order: the order's own, and the return's. */
  roots: string[]
  returnNumber?: string
  done: boolean
  /** Engine time the last root completed. */
  completedAt?: number
}

/** One event sent into a running order, with what became of its duplicates. */
export interface SentEvent {
  orderNumber: string
  message: string
  idempotencyKey: string
  messageId?: string
  /** Engine answer to the same messageId published straight again within the TTL. */
  enginePublishAgain?: 'refused' | 'accepted' | 'failed'
  /** API answers to the same request again at once and after the TTL. */
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
/** The time to live the API gives each message (api/routes/order-events.ts). */
const ttlOf: Record<string, number> = { 'delivery-confirmed': 24 * 60 * minute }

export function createDriver(options: {
  app: FastifyInstance
  apiKey: string
  zeebe: ZeebeClient
  rest: EngineRest
  db: Knex
  count: number
  concurrency: number
  runId: string
  say: (line: string) => void
}) {
  const { app, apiKey, zeebe, rest, db, count, concurrency, runId, say } = options
  const state: DriverState = { orders: [], events: [], userTasksCompleted: 0, apiRetries: 0, unexpectedTasks: new Set() }
  const orderOf = new Map<string, ChaosOrder>()
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
        if (!/fetch failed|ECONNREFUSED|UNAVAILABLE|503|500|terminat|connect|timeout|Connection/i.test(String(error))) say(`retrying ${id}: ${String(error).slice(0, 200)}`)
      })
      .finally(() => inFlight.delete(run))
    inFlight.add(run)
  }

  const post = async (url: string, key: string, payload: unknown) =>
    app.inject({ method: 'POST', url, payload: payload as object, headers: { 'x-api-key': apiKey, 'idempotency-key': key } })

  const placeOrder = async (order: ChaosOrder) => {
    const answer = await post('/orders', `chaos-${runId}-order-${order.index}`, orderBody(order.scenario, order.index))
    if (answer.statusCode !== 201) throw new Error(`POST /orders answered ${answer.statusCode}: ${answer.body.slice(0, 200)}`)
    const { orderNumber, processInstanceKey } = answer.json()
    order.orderNumber = orderNumber
    order.roots.push(String(processInstanceKey))
    orderOf.set(String(processInstanceKey), order)
  }

  /** Sends one event through the API, then its duplicates (see the file's comment). */
  const sendEvent = async (order: ChaosOrder, path: string, message: string, variable: string, body: Record<string, unknown>, key: string) => {
    const url = `/orders/${order.orderNumber}/${path}`
    const first = await post(url, key, body)
    if (first.statusCode === 409 && path === 'cancellation') return
    if (first.statusCode !== 202) throw new Error(`POST ${url} answered ${first.statusCode}: ${first.body.slice(0, 200)}`)
    const { messageId, correlationKey } = first.json()
    const ttlMs = ttlOf[message] ?? minute
    const event: SentEvent = { orderNumber: order.orderNumber!, message, idempotencyKey: key, messageId, sendAgainAt: Date.now() + Math.min(ttlMs, minute) + 5000, ttlMs }
    state.events.push(event)
    for (let tries = 0; tries < 30; tries++) {
      event.replayAtOnce = (await post(url, key, body)).statusCode
      if (event.replayAtOnce < 500) break
      await new Promise((resolve) => setTimeout(resolve, 2000))
    }
    const value = message === 'order-change-requested' ? { ...body, requestId: messageId } : body
    event.enginePublishAgain = await zeebe
      .publishMessage({ name: message, correlationKey, messageId, variables: JSON.parse(JSON.stringify({ [variable]: value })), timeToLive: ttlMs })
      .then(() => 'accepted' as const)
      .catch((error) => (isAlreadyPublished(error) ? ('refused' as const) : ('failed' as const)))
  }

  /** The same requests again once their messages' time to live has passed. */
  const sendLateDuplicates = () => {
    for (const event of state.events) {
      if (event.replayAfterTtl !== undefined || Date.now() < event.sendAgainAt) continue
      background(`late:${event.idempotencyKey}`, async () => {
        const answer = await post(`/orders/${event.orderNumber}/${pathOf[event.message]}`, event.idempotencyKey, bodies.get(event.idempotencyKey))
        // An outage answers 503: the integrator tries again later, as with any request.
        if (answer.statusCode >= 500) throw new Error(`the request after the TTL answered ${answer.statusCode}`)
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
  const variableOf: Record<string, string> = {
    'payment-received': 'payment', 'contract-signed': 'contractSigning', 'delivery-confirmed': 'delivery',
    'goods-received': 'goodsReceipt', 'order-cancel-requested': 'cancellation', 'order-change-requested': 'changeRequest',
    'return-received': 'returnReceipt',
  }
  const event = (order: ChaosOrder, message: string, id: string, body: Record<string, unknown>) => {
    const key = `chaos-${runId}-${id}`
    // A repeat is the same request: the body of the first sending, whatever this round computed.
    if (!bodies.has(key)) bodies.set(key, body)
    background(`event:${id}`, () => sendEvent(order, pathOf[message], message, variableOf[message], bodies.get(key)!, key))
  }

  const completeTask = async (taskKey: number, variables: Record<string, unknown>) => {
    try {
      await rest.post(`/v2/user-tasks/${taskKey}/completion`, { variables })
      state.userTasksCompleted++
    } catch (error) {
      // Already completed (the earlier call got through before a fault) or ended with its scope.
      if (error instanceof EngineRestError && (error.status === 404 || error.status === 409)) return
      throw error
    }
  }

  const onUserTask = (record: EngineRecord<UserTaskValue>, order: ChaosOrder) => {
    const { elementId } = record.value
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
    background(`task:${record.key}`, () => completeTask(record.key, answer(n)))
  }

  const onSubscription = (record: EngineRecord<SubscriptionValue>, order: ChaosOrder) => {
    const { messageName, elementId, correlationKey, elementInstanceKey } = record.value
    const i = order.index
    if (messageName === 'payment-received') {
      const balance = elementId === 'BALANCE_RECEIVED'
      const amount = order.scenario === 'contract' ? (balance ? 0.01 : 520) : shopPrice
      event(order, messageName, `pay-${i}-${elementId}`, { amount, kind: balance ? 'balance' : 'full', reference: `CHAOS-${runId}-${i}-${elementId}` })
    } else if (messageName === 'contract-signed') {
      event(order, messageName, `signed-${i}`, { signedOn: daysFromNow(0), signedBy: 'Zhang San', contractNumber: `HT-${order.orderNumber}` })
    } else if (messageName === 'delivery-confirmed') {
      // One webhook per order: the message reaches the shipment and then the shop order (TTL one day).
      event(order, messageName, `delivered-${i}`, { deliveredOn: daysFromNow(2), signedBy: 'Zhang San', damaged: false })
    } else if (messageName === 'goods-received') {
      background(`goods:${elementInstanceKey}`, async () => {
        const request = await db('purchase_requests').where({ request_number: correlationKey }).first('quantity')
        if (!request) throw new Error(`purchase request ${correlationKey} not found yet`)
        event(order, messageName, `goods-${i}-${correlationKey}`, { requestNumber: correlationKey, countedQuantity: Number(request.quantity) })
      })
    } else if (messageName === 'return-received') {
      event(order, messageName, `returned-goods-${i}`, { returnNumber: correlationKey, receivedAt: new Date().toISOString(), note: 'one parcel, seal intact' })
    }
  }

  const startReturn = (order: ChaosOrder) =>
    background(`return:${order.index}`, async () => {
      const answer = await post('/returns', `chaos-${runId}-return-${order.index}`, returnBody(order.orderNumber!))
      if (answer.statusCode !== 201) throw new Error(`POST /returns answered ${answer.statusCode}: ${answer.body.slice(0, 200)}`)
      const { processInstanceKey, returnNumber } = answer.json()
      order.returnNumber = returnNumber
      if (!order.roots.includes(String(processInstanceKey))) order.roots.push(String(processInstanceKey))
      orderOf.set(String(processInstanceKey), order)
    })

  const completedRoots = new Set<string>()
  let next = 0

  /** One round: place orders, read the engine's records, act on them. */
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
    const known = [...orderOf.entries()].filter(([, o]) => !o.done).map(([key]) => key)
    if (known.length === 0) return
    const since = { range: { timestamp: { gte: Date.now() - 3 * 3600000 } } }
    const [tasks, ended, subscriptions, processes] = await multiSearch([
      { valueType: 'user-task', filter: [since, { term: { intent: 'CREATED' } }, terms('value.processInstanceKey', known)], source: ['key', 'timestamp', 'value.elementId', 'value.processInstanceKey'] },
      { valueType: 'user-task', filter: [since, { terms: { intent: ['COMPLETED', 'CANCELED'] } }, terms('value.processInstanceKey', known)], source: ['key'] },
      { valueType: 'process-message-subscription', filter: [since, { term: { intent: 'CREATED' } }, terms('value.processInstanceKey', known)], source: ['key', 'timestamp', 'value'] },
      {
        valueType: 'process-instance',
        filter: [
          since,
          { term: { 'value.bpmnElementType': 'PROCESS' } },
          { terms: { intent: ['ELEMENT_ACTIVATED', 'ELEMENT_COMPLETED', 'ELEMENT_TERMINATED'] } },
          { bool: { should: [terms('value.processInstanceKey', known), terms('value.parentProcessInstanceKey', known)], minimum_should_match: 1 } },
        ],
        source: ['key', 'intent', 'timestamp', 'value.processInstanceKey', 'value.parentProcessInstanceKey'],
      },
    ])
    for (const record of processes as EngineRecord<ProcessValue>[]) {
      const key = String(record.value.processInstanceKey)
      const parent = orderOf.get(String(record.value.parentProcessInstanceKey))
      if (parent && !orderOf.has(key)) orderOf.set(key, parent)
      const order = orderOf.get(key)
      if (!order || record.intent === 'ELEMENT_ACTIVATED' || !order.roots.includes(key) || completedRoots.has(key)) continue
      completedRoots.add(key)
      if (order.scenario === 'returned' && !order.returnNumber && key === order.roots[0]) startReturn(order)
      else if (order.roots.every((root) => completedRoots.has(root)) && (order.scenario !== 'returned' || order.roots.length === 2)) {
        order.done = true
        order.completedAt = record.timestamp
      }
    }
    const closed = new Set((ended as EngineRecord[]).map((r) => r.key))
    for (const record of tasks as EngineRecord<UserTaskValue>[]) {
      const order = orderOf.get(String(record.value.processInstanceKey))
      if (order && !closed.has(record.key) && !handled.has(`task:${record.key}`)) onUserTask(record, order)
    }
    for (const record of subscriptions as EngineRecord<SubscriptionValue>[]) {
      const order = orderOf.get(String(record.value.processInstanceKey))
      if (order) onSubscription(record, order)
    }
  }

  return {
    state,
    tick,
    finished: () => next >= count && state.orders.every((o) => o.done),
    settle: () => Promise.allSettled([...inFlight]),
    instanceKeys: () => [...orderOf.keys()],
  }
}

export type Driver = ReturnType<typeof createDriver>
