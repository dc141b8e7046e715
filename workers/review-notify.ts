/**
 * review-notify — sends the order to the departments for review and releases the approved plan:
 * a regular order is copied to the quality and warehouse leads (the warehouse lead passes it on
 * to the workshop supervisor, D1 第5条 2); after the GM's approval the order, product plan and
 * technical files go to procurement, quality, the production workshop and the admin office
 * (D1 第5条 3), who then work to the approved plan (D1 第6条 4).
 *
 * The template is the task's `notice` header (regular-order-copies, product-plan-released); the
 * departments are its `recipients` header (roles, comma-separated), one message each. The payload
 * is the order summary plus the classification, and the product plan with its technical files
 * and the GM's approval when the process holds them.
 *
 * Reads:   order (required); orderClassification, productPlan, gmApproval when present
 * Writes:  nothing (no element after it reads a result)
 * Errors:  none
 * Effects: one `notifications` row per department (key `<processInstanceKey>:<elementId>:<elementInstanceKey>`,
 *          plus `:<role>` when there are several) and one `order_events` row (outcome notified)
 *          in one transaction, then the webhook call per row with its key; each row is marked
 *          sent. A send failure, or a recipients header naming no or unknown teams, is thrown
 *          (retried; the retry sends the same rows).
 */
import { compact, notifyOnce, orderSummary, teamMessages, teamsOf, templateOf, type NotifyDeps, type StaffOrder } from '../lib/notify.ts'
import { complete, type Handler, type JobContext } from '../lib/worker.ts'

export const taskType = 'review-notify'

const optionalObject = { type: ['object', 'null'] } as const

export const variablesSchema = {
  type: 'object',
  required: ['order'],
  properties: {
    order: { type: 'object', required: ['orderNumber'], properties: { orderNumber: { type: 'string', minLength: 1 } } },
    orderClassification: optionalObject,
    productPlan: optionalObject,
    gmApproval: optionalObject,
  },
} as const

export const errorCodes = [] as const

export interface ReviewNotifyVariables {
  order: StaffOrder
  orderClassification?: Record<string, unknown> | null
  productPlan?: Record<string, unknown> | null
  gmApproval?: Record<string, unknown> | null
}

/** The clause each known notice implements, for the history row. */
const clauses: Record<string, string> = {
  'regular-order-copies': 'D1 第5条 2',
  'product-plan-released': 'D1 第5条 3',
}

export function createHandler(deps: NotifyDeps): Handler<ReviewNotifyVariables, never> {
  return async (job: JobContext<ReviewNotifyVariables>) => {
    const { order, orderClassification, productPlan, gmApproval } = job.variables
    const template = templateOf(job)
    const payload = compact({
      ...orderSummary(order),
      classification: orderClassification,
      productPlan,
      gmApproval: gmApproval ? compact({ decision: gmApproval.decision, decidedBy: gmApproval.decidedBy }) : undefined,
    })
    await notifyOnce(deps, job, {
      orderNumber: order.orderNumber,
      clause: job.customHeaders.clause ?? clauses[template] ?? null,
      messages: teamMessages(teamsOf(job, 'recipients'), template, payload),
    })
    return complete()
  }
}
