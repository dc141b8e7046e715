/**
 * The driver: starts `bench-contract-order` instances of a regular order with stock available and
 * plays every person and outside party on the way — it completes each user task
 * (`POST /task/{id}/complete`, as Tasklist does) and correlates each awaited message to its
 * instance (`POST /message`), as soon as the engine shows the task or the message subscription
 * (polled every 200 ms). It keeps at most `concurrency` orders in flight and stops at its deadline.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { EngineRestError, toEngineVariables, type EngineRest } from '../../lib/engine-rest.ts'
import { demoContractOrder } from '../../lib/seed.ts'
import { benchProcesses, orderProcess } from './diagrams.ts'
import { engineHistory, engineTime, type MessageSubscription, type OpenTask } from './history.ts'

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
  /** Wall clock just before the start call. */
  startedAt: number
  /** Engine time of the root instance's start and end (its history). */
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

/** Thrown when an order leaves the expected path (an incident, a user task without an answer). */
export class DriverError extends Error {
  name = 'DriverError'
}

export async function driveOrders(options: {
  rest: EngineRest
  count: number
  concurrency: number
  deadline: number
  /** Digits unique to this run and phase, in every order number (BN-<year>-<runId><index>). */
  runId: string
  onProgress?: (completed: number, started: number) => void
  tickMs?: number
}): Promise<DriveResult> {
  const { rest, count, concurrency, deadline, runId, onProgress, tickMs = 200 } = options
  const history = engineHistory(rest)
  const orders: DrivenOrder[] = []
  const active = new Map<string, DrivenOrder>() // root instance id → order
  const byNumber = new Map<string, DrivenOrder>()
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
  /** The order an instance (root or called) belongs to: every instance carries the order number as business key. */
  const orderOfInstance = async (id: string) => {
    const instance = await history.instance(id)
    return instance?.businessKey ? byNumber.get(instance.businessKey) : undefined
  }

  const startOne = async (index: number) => {
    const orderNumber = `BN-${new Date().getUTCFullYear()}-${runId}${String(index).padStart(5, '0')}`
    const order: DrivenOrder = { orderNumber, key: '', startedAt: Date.now() }
    const instance = await rest.post<{ id: string }>(`/process-definition/key/${orderProcess}/start`, {
      businessKey: orderNumber,
      variables: toEngineVariables({ order: benchOrder(orderNumber), orderNumber }),
    })
    order.key = instance.id
    orders.push(order)
    active.set(order.key, order)
    byNumber.set(orderNumber, order)
  }

  const completeTask = async (task: OpenTask, order: DrivenOrder) => {
    const answer = userTaskAnswers[task.taskDefinitionKey]
    if (!answer) throw new DriverError(`order ${order.orderNumber} reached user task ${task.taskDefinitionKey}, which the driver has no answer for`)
    reactionsMs.push(Date.now() - engineTime(task.created))
    try {
      await rest.post(`/task/${task.id}/complete`, { variables: toEngineVariables(answer(order.orderNumber)) })
      userTasksCompleted++
    } catch (error) {
      // Already completed (a second driver on the same engine) is no failure.
      if (error instanceof EngineRestError && error.status === 404) return
      handled.delete(`task:${task.id}`)
      throw error
    }
  }

  const publish = async (subscription: MessageSubscription) => {
    reactionsMs.push(Date.now() - engineTime(subscription.createdDate))
    await rest.post('/message', {
      messageName: subscription.eventName,
      processInstanceId: subscription.processInstanceId,
      processVariables: toEngineVariables(messageAnswers[subscription.activityId]),
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
      if (active.size) {
        const [incidents, tasks, subscriptions, roots] = await Promise.all([
          history.incidentsOf(benchProcesses),
          history.openTasks({ processDefinitionKeys: benchProcesses }),
          history.messageSubscriptions(),
          history.instances([...active.keys()]),
        ])
        for (const incident of incidents) {
          const order = await orderOfInstance(incident.processInstanceId)
          if (order) throw new DriverError(`order ${order.orderNumber} has an incident at ${incident.activityId}: ${incident.incidentType} ${incident.incidentMessage}`)
        }
        for (const root of roots) {
          const order = active.get(root.id)!
          order.activatedAt = engineTime(root.startTime)
          if (root.endTime) {
            if (root.state !== 'COMPLETED') throw new DriverError(`order ${order.orderNumber} ended ${root.state}`)
            order.completedAt = engineTime(root.endTime)
            active.delete(root.id)
          }
        }
        for (const task of tasks) {
          if (handled.has(`task:${task.id}`)) continue
          const order = await orderOfInstance(task.processInstanceId)
          if (!order) continue
          handled.add(`task:${task.id}`)
          inBackground(completeTask(task, order))
        }
        for (const subscription of subscriptions) {
          const id = `message:${subscription.id}`
          if (!(subscription.activityId in messageAnswers) || handled.has(id)) continue
          if (!(await orderOfInstance(subscription.processInstanceId))) continue
          handled.add(id)
          inBackground(publish(subscription))
        }
      }
      await sleep(tickMs)
    }
  } finally {
    await Promise.allSettled([...pending])
    // Whatever did not finish (time-out, incident) is cancelled, so nothing of the run lingers.
    for (const key of active.keys()) await rest.delete(`/process-instance/${key}?skipCustomListeners=true`).catch(() => undefined)
  }
  return { orders, userTasksCompleted, messagesPublished, reactionsMs, timedOut, startedAt, endedAt: Date.now() }
}
