/**
 * packaging-notify — tells the packaging department to prepare the packing of an order, so that
 * no accessory or document is missed (D2 二.二.2(5)). The diagram's timer fires it 3 days (complete
 * sets) or 1 day (other products) before productionPlan.packingDate; the notice says which.
 *
 * Packing is done by the warehouse (D2 三.2(1)), so the notice goes to the `warehouse` team unless
 * the task header `recipients` names other teams (comma-separated roles, e.g. `warehouse,quality`).
 * Sent with lib/notify.ts `notifyOnce`, like the other notification workers.
 *
 * Reads:   order {orderNumber, customer.name, priority, deliveryDate, lines}, productionPlan
 *          {packingDate, completeSet}
 * Writes:  packagingNotice {recipients, packingDate, leadDays, delivered}
 * Errors:  none
 * Effects: one `notifications` row per team (template: the `notice` header, else packaging-notify;
 *          key `<processInstanceKey>:<elementId>:<elementInstanceKey>[:<team>]`) and one
 *          `order_events` row, in one transaction; then each message not sent yet goes through the
 *          notifier with that key and is marked sent. A redelivered job queues nothing new. A
 *          refusal or an unknown team is a technical fault: retried, then an incident.
 */
import { notifyOnce, orderSummary, teamMessages, teamsOf, templateOf, type StaffOrder } from '../lib/notify.ts'
import { complete, type Handler, type WorkerDeps } from '../lib/worker.ts'

export const taskType = 'packaging-notify'

export const variablesSchema = {
  type: 'object',
  required: ['order', 'productionPlan'],
  properties: {
    order: {
      type: 'object',
      required: ['orderNumber'],
      properties: {
        orderNumber: { type: 'string', minLength: 1 },
        lines: { type: ['array', 'null'] },
      },
    },
    productionPlan: {
      type: 'object',
      required: ['packingDate'],
      properties: {
        packingDate: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}' },
        completeSet: { type: ['boolean', 'null'] },
      },
    },
  },
} as const

export const errorCodes = [] as const

export interface PackagingVariables {
  order: StaffOrder
  productionPlan: { packingDate: string; completeSet?: boolean | null; [field: string]: unknown }
}

/** The team told when the task has no `recipients` header. */
export const defaultRecipients = 'warehouse'

export function createHandler(
  deps: Pick<WorkerDeps, 'notifications' | 'events' | 'outside'>,
): Handler<PackagingVariables, never> {
  return async (job) => {
    const { order, productionPlan } = job.variables
    const roles = teamsOf(job, 'recipients', job.customHeaders.recipients?.trim() || defaultRecipients)
    const leadDays = productionPlan.completeSet === true ? 3 : 1
    const packingDate = productionPlan.packingDate.slice(0, 10)
    const payload = {
      ...orderSummary(order),
      packingDate,
      completeSet: productionPlan.completeSet === true,
      leadDays,
      notice: `Prepare packing of order ${order.orderNumber} from ${packingDate}: packaging material, accessories and documents (D2 二.二.2(5)).`,
    }
    const record = await notifyOnce(deps, job, {
      orderNumber: order.orderNumber,
      clause: 'D2 二.二.2(5)',
      messages: teamMessages(roles, templateOf(job), payload),
    })
    return complete({ packagingNotice: { recipients: record.recipients, packingDate, leadDays, delivered: true } })
  }
}
