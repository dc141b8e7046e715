/**
 * The driver: starts `bench-contract-order` instances of a regular order with stock available and
 * plays every person and outside party on the way — it completes each user task through the
 * REST API (`POST /v2/user-tasks/{key}/completion`) and publishes each awaited message, as soon
 * as the engine's exported records show the task or the message subscription. It keeps at most
 * `concurrency` orders in flight and stops at its deadline.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { EngineRest } from '../../lib/camunda.ts'
import { EngineRestError } from '../../lib/camunda.ts'
import { demoContractOrder } from '../../lib/seed.ts'
import { orderProcess } from './diagrams.ts'
import { multiSearch, terms, type EngineRecord, type ProcessValue, type SubscriptionValue, type UserTaskValue } from './records.ts'

type ZeebeClient = ReturnType<import('@camunda8/sdk').Camunda8['getZeebeGrpcApiClient']>

/** A regular order of a seeded SKU whose stock the benchmark database holds plenty of. */
export function benchOrder(orderNumber: string) {
  return { orderNumber, ...demoContractOrder() }
}

/** What the staff enter in each user task on the stock-available path (element id → variables). */
export const userTaskAnswers: Record<string, (orderNumber: string) => Record<string, unknown>> = {
  WORKSHOP_REVIEW: () => ({ workshopReview: { deliveryDate: '2027-03-01', decision: 'feasible', note: 'capacity free' } }),
  DRAFT_CONTRACT: (orderNumber) => ({
    contract: { contractNumber: `HT-${orderNumber}`, amount: 520, currency: 'CNY', paymentTerms: 'full payment before production' },
    paymentCollection: { remindOn: '2027-06-01' },
  }),
  SHIPPING_INSTRUCTION: () => ({
    shippingInstruction: {
      contractChecked: true,
      paymentChecked: true,
      dispatchDate: '2026-12-01',
      deliveryDate: '2027-03-01',
      deliveryAddress: '88 Tianhe Road, Guangzhou 510620',
    },
  }),
  SHIPPING_APPROVAL: () => ({ shippingApproval: { decision: 'approve', comment: 'contract paid, ship it' } }),
  PICK_AND_PACK: () => ({ packing: { allItemsPresent: true, marked: true, packageCount: 1, grossWeightKg: 6 } }),
  SHIPPING_DOCUMENTS: () => ({
    shippingDocuments: { shippingRequest: true, outboundSlip: true, carrierReceipt: true, sentAt: '2026-12-01T10:00:00+08:00' },
  }),
  FINANCE_SETTLEMENT: () => ({ financeSettlement: { revenue: 520, cost: 300, receivablesCleared: true } }),
  CUSTOMER_FOLLOW_UP: () => ({ followUp: { contactedOn: '2026-12-10', satisfaction: 'satisfied', feedback: 'arrived in good order' } }),
}

/** What the customer, the bank and the carrier send at each message catch event (element id → variables). */
export const messageAnswers: Record<string, Record<string, unknown>> = {
  CONTRACT_SIGNED: {},
  PAYMENT_RECEIVED: { payment: { amount: 520, currency: 'CNY' } },
  DELIVERY_CONFIRMED: { delivery: { deliveredOn: '2026-12-03', signedBy: 'Zhang San', damaged: false } },
  BALANCE_RECEIVED: { payment: { amount: 0, currency: 'CNY' } },
}

export interface DrivenOrder {
  orderNumber: string
  key: string
  /** Wall clock just before the create call. */
  startedAt: number
  /** Engine time of the root instance's activation and completion. */
  activatedAt?: number
  completedAt?: number
}

export interface DriveResult {
  orders: DrivenOrder[]
  userTasksCompleted: number
  messagesPublished: number
  /** Per user task and message: engine time of the task or subscription → the driver's call (ms). */
  reactionsMs: number[]
  timedOut: boolean
  startedAt: number
  endedAt: number
}

interface IncidentValue {
  processInstanceKey: number
  elementId: string
  errorType: string
  errorMessage: string
}

/** Thrown when an order leaves the expected path (an incident, a user task without an answer). */
export class DriverError extends Error {
  name = 'DriverError'
}

export async function driveOrders(options: {
  zeebe: ZeebeClient
  rest: EngineRest
  count: number
  concurrency: number
  deadline: number
  /** Digits unique to this run and phase, in every order number (BN-<year>-<runId><index>). */
  runId: string
  onProgress?: (completed: number, started: number) => void
  tickMs?: number
}): Promise<DriveResult> {
  const { zeebe, rest, count, concurrency, deadline, runId, onProgress, tickMs = 200 } = options
  const orders: DrivenOrder[] = []
  const active = new Map<string, DrivenOrder>() // root key → order
  const orderOf = new Map<string, DrivenOrder>() // root or child instance key → order
  const handled = new Set<string>()
  let userTasksCompleted = 0
  let messagesPublished = 0
  const reactionsMs: number[] = []
  let failure: Error | undefined
  const startedAt = Date.now()
  const pending = new Set<Promise<void>>()
  const inBackground = (work: Promise<void>) => {
    const tracked = work.catch((error) => {
      failure ??= error
    }).finally(() => pending.delete(tracked))
    pending.add(tracked)
  }

  const startOne = async (index: number) => {
    const orderNumber = `BN-${new Date().getUTCFullYear()}-${runId}${String(index).padStart(5, '0')}`
    const order: DrivenOrder = { orderNumber, key: '', startedAt: Date.now() }
    const instance = await zeebe.createProcessInstance({ bpmnProcessId: orderProcess, variables: { order: benchOrder(orderNumber) } })
    order.key = instance.processInstanceKey
    orders.push(order)
    active.set(order.key, order)
    orderOf.set(order.key, order)
  }

  const completeTask = async (record: EngineRecord<UserTaskValue>, order: DrivenOrder) => {
    const answer = userTaskAnswers[record.value.elementId]
    if (!answer) throw new DriverError(`order ${order.orderNumber} reached user task ${record.value.elementId}, which the driver has no answer for`)
    reactionsMs.push(Date.now() - record.timestamp)
    try {
      await rest.post(`/v2/user-tasks/${record.key}/completion`, { variables: answer(order.orderNumber) })
      userTasksCompleted++
    } catch (error) {
      // Already completed (a repeated record or a second driver on the same engine) is no failure.
      if (error instanceof EngineRestError && (error.status === 404 || error.status === 409)) return
      handled.delete(`task:${record.key}`)
      throw error
    }
  }

  const publish = async (record: EngineRecord<SubscriptionValue>) => {
    const { messageName, correlationKey, elementInstanceKey } = record.value
    reactionsMs.push(Date.now() - record.timestamp)
    await zeebe.publishMessage({
      name: messageName,
      correlationKey,
      variables: JSON.parse(JSON.stringify(messageAnswers[record.value.elementId])),
      messageId: `bench:${messageName}:${elementInstanceKey}`,
      timeToLive: 60000,
    })
    messagesPublished++
  }

  let nextIndex = 0
  let timedOut = false
  try {
    for (;;) {
      if (failure) throw failure
      if (Date.now() > deadline) {
        timedOut = true
        break
      }
      const completed = orders.filter((o) => o.completedAt).length
      onProgress?.(completed, nextIndex)
      if (completed === count) break
      while (nextIndex < count && active.size < concurrency) {
        await startOne(nextIndex++)
      }
      const roots = [...active.keys()]
      const known = [...orderOf.entries()].filter(([, o]) => active.has(o.key)).map(([key]) => key)
      if (roots.length) {
        const since = { range: { timestamp: { gte: Date.now() - 300000 } } }
        const [tasks, subscriptions, processes, incidents] = await multiSearch([
          {
            valueType: 'user-task',
            filter: [since, { term: { intent: 'CREATED' } }, terms('value.processInstanceKey', known)],
            source: ['key', 'intent', 'timestamp', 'value.elementId', 'value.processInstanceKey'],
          },
          {
            valueType: 'process-message-subscription',
            filter: [since, { terms: { intent: ['CREATING', 'CREATED'] } }, terms('value.processInstanceKey', known)],
            source: ['key', 'intent', 'timestamp', 'value'],
          },
          {
            valueType: 'process-instance',
            filter: [
              since,
              { term: { 'value.bpmnElementType': 'PROCESS' } },
              { terms: { intent: ['ELEMENT_ACTIVATED', 'ELEMENT_COMPLETED', 'ELEMENT_TERMINATED'] } },
              { bool: { should: [terms('value.processInstanceKey', roots), terms('value.parentProcessInstanceKey', roots)], minimum_should_match: 1 } },
            ],
            source: ['key', 'intent', 'timestamp', 'value.processInstanceKey', 'value.parentProcessInstanceKey'],
          },
          {
            valueType: 'incident',
            filter: [since, { term: { intent: 'CREATED' } }, terms('value.processInstanceKey', known)],
            source: ['key', 'intent', 'value'],
          },
        ])
        for (const record of incidents as EngineRecord<IncidentValue>[]) {
          const order = orderOf.get(String(record.value.processInstanceKey))
          throw new DriverError(
            `order ${order?.orderNumber} has an incident at ${record.value.elementId}: ${record.value.errorType} ${record.value.errorMessage}`,
          )
        }
        for (const record of processes as EngineRecord<ProcessValue>[]) {
          const key = String(record.value.processInstanceKey)
          const parent = String(record.value.parentProcessInstanceKey)
          if (record.intent === 'ELEMENT_ACTIVATED' && active.has(parent)) orderOf.set(key, active.get(parent)!)
          const order = active.get(key)
          if (order && record.intent === 'ELEMENT_ACTIVATED') order.activatedAt = record.timestamp
          if (order && record.intent !== 'ELEMENT_ACTIVATED') {
            if (record.intent === 'ELEMENT_TERMINATED') throw new DriverError(`order ${order.orderNumber} was terminated`)
            order.completedAt = record.timestamp
            active.delete(key)
          }
        }
        for (const record of tasks as EngineRecord<UserTaskValue>[]) {
          const order = orderOf.get(String(record.value.processInstanceKey))
          if (!order || handled.has(`task:${record.key}`)) continue
          handled.add(`task:${record.key}`)
          inBackground(completeTask(record, order))
        }
        for (const record of subscriptions as EngineRecord<SubscriptionValue>[]) {
          const id = `message:${record.value.elementInstanceKey}:${record.value.messageName}`
          if (!(record.value.elementId in messageAnswers) || handled.has(id)) continue
          handled.add(id)
          inBackground(publish(record))
        }
      }
      await sleep(tickMs)
    }
  } finally {
    await Promise.allSettled([...pending])
    // Whatever did not finish (time-out, incident) is cancelled, so nothing of the run lingers.
    for (const key of active.keys()) await zeebe.cancelProcessInstance(key).catch(() => undefined)
  }
  return { orders, userTasksCompleted, messagesPublished, reactionsMs, timedOut, startedAt, endedAt: Date.now() }
}
