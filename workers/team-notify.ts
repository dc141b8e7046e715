/**
 * team-notify — tells internal teams and departments about an order and what is asked of them:
 * an urgent order to every team concerned, with its urgency and delivery requirements (D7 3), and
 * the contract order change notice (合同订单更改通知单) to the production manager (D2 一.五.2).
 *
 * The template is the task's `notice` header (urgent-order, order-change); the teams are its
 * `recipients` header (roles of PROCESSES.md, comma-separated), one message each. The payload is
 * the order summary (`orderSummary`) plus the urgent assessment or change details the process holds.
 *
 * Reads:   order (required); urgentAssessment, changeRequest, changeAssessment, dateReReview,
 *          changeReview, supplementaryContract, agreedDeliveryDate when present
 * Writes:  nothing (no element after it reads a result)
 * Errors:  none
 * Effects: one `notifications` row per team (key `<processInstanceKey>:<elementId>:<elementInstanceKey>`,
 *          plus `:<role>` when there are several teams) and one `order_events` row (outcome
 *          notified) in one transaction, then the webhook call per row with its key; each row is
 *          marked sent. A send failure, or a recipients header naming no or unknown teams, is
 *          thrown (retried; the retry sends the same rows).
 */
import { notifyOnce, orderSummary, teamMessages, teamsOf, templateOf, type NotifyDeps, type StaffOrder } from '../lib/notify.ts'
import { complete, type Handler, type JobContext } from '../lib/worker.ts'

export const taskType = 'team-notify'

const optionalObject = { type: ['object', 'null'] } as const

/** The process variables a team is told about, besides the order, when the process holds them. */
export const contextVariables = [
  'urgentAssessment',
  'changeRequest',
  'changeAssessment',
  'dateReReview',
  'changeReview',
  'supplementaryContract',
  'agreedDeliveryDate',
] as const

export const variablesSchema = {
  type: 'object',
  required: ['order'],
  properties: {
    order: { type: 'object', required: ['orderNumber'], properties: { orderNumber: { type: 'string', minLength: 1 } } },
    urgentAssessment: optionalObject,
    changeRequest: optionalObject,
    changeAssessment: optionalObject,
    dateReReview: optionalObject,
    changeReview: optionalObject,
    supplementaryContract: optionalObject,
    agreedDeliveryDate: { type: ['string', 'null'] },
  },
} as const

export const errorCodes = [] as const

export type TeamNotifyVariables = { order: StaffOrder } & Partial<Record<(typeof contextVariables)[number], unknown>>

/** The clause each known notice implements, for the history row. */
const clauses: Record<string, string> = {
  'urgent-order': 'D7 3',
  'order-change': 'D2 一.五.2',
}

export function createHandler(deps: NotifyDeps): Handler<TeamNotifyVariables, never> {
  return async (job: JobContext<TeamNotifyVariables>) => {
    const { order } = job.variables
    const template = templateOf(job)
    const context = Object.fromEntries(contextVariables.filter((name) => job.variables[name] != null).map((name) => [name, job.variables[name]]))
    await notifyOnce(deps, job, {
      orderNumber: order.orderNumber,
      clause: job.customHeaders.clause ?? clauses[template] ?? null,
      messages: teamMessages(teamsOf(job, 'recipients'), template, { ...orderSummary(order), ...context }),
    })
    return complete()
  }
}
