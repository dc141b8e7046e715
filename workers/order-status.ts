/**
 * order-status — records where an order stands when its process reaches a stage that no other
 * step writes: delivered (the shipment's end), and the final statuses at the order's end events
 * (completed, declined, cancelled, closed). The diagrams reach it through message end events
 * with `camunda:type="external"` and this topic; the status is the event's extension property
 * `status` (one of lib/order-status.ts).
 *
 * Reads:   orderNumber or order {orderNumber}; orderClassification {classification} when present
 *          (recorded with the status, e.g. for a declined order that was never quoted)
 * Writes:  orderStatus {status, previous, moved}
 * Errors:  none. A missing or unknown `status` property fails the task (incident): fix the
 *          diagram, deploy, retry.
 * Effects: the order status (only forwards: a status the order has passed is ignored, so a task
 *          delivered twice or late never sets it back), at `delivered` the order's shipments
 *          marked delivered, at `declined` the review outcome declined, and one `order_events`
 *          row, in one transaction; a redelivered task returns the stored result.
 */
import { isOrderStatus, type OrderDecisions } from '../lib/order-status.ts'
import { complete, stepKey, type Handler, type WorkerDeps } from '../lib/worker.ts'

export const taskType = 'order-status'

/** Serves message end events only: no service-task element template (test/element-templates.test.ts). */
export const messageEndEvent = true

export const variablesSchema = {
  type: 'object',
  anyOf: [{ required: ['orderNumber'] }, { required: ['order'] }],
  properties: {
    orderNumber: { type: 'string', minLength: 1 },
    order: { type: 'object', required: ['orderNumber'], properties: { orderNumber: { type: 'string', minLength: 1 } } },
    orderClassification: { type: ['object', 'null'], properties: { classification: { enum: ['regular', 'non-regular', null] } } },
  },
} as const

export const errorCodes = [] as const

export interface Variables {
  orderNumber?: string
  order?: { orderNumber: string }
  orderClassification?: { classification?: 'regular' | 'non-regular' | null } | null
}

export interface OrderStatusResult {
  status: string
  previous: string
  moved: boolean
}

export function createHandler({ orders, shipments, events }: Pick<WorkerDeps, 'orders' | 'shipments' | 'events'>): Handler<Variables, never> {
  return async (job) => {
    const status = job.customHeaders.status
    if (!isOrderStatus(status)) {
      throw new Error(`${job.bpmnProcessId} ${job.elementId} has no valid status property (got ${JSON.stringify(status ?? null)}): set camunda:property status to one of README "Order statuses", deploy, then retry`)
    }
    const orderNumber = job.variables.orderNumber ?? job.variables.order!.orderNumber
    const decisions: OrderDecisions = {
      classification: job.variables.orderClassification?.classification ?? null,
      ...(status === 'declined' ? { review_outcome: 'declined' as const } : {}),
    }
    const orderStatus = await events.once<OrderStatusResult>(stepKey(job, orderNumber, job.customHeaders.clause ?? null), async (trx) => {
      const change = await orders.advance(orderNumber, status, decisions, trx)
      if (status === 'delivered') await shipments.markDelivered(orderNumber, trx)
      return { outcome: change.moved ? status : `kept-${change.to}`, result: { status: change.to, previous: change.from, moved: change.moved } }
    })
    return complete({ orderStatus })
  }
}
