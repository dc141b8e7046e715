/**
 * escalation-notify — a service level was missed: tells the next level up and records the
 * breach, without taking the work away from whoever holds it (PROCESSES.md "Service levels":
 * every SLA timer escalates). No diagram uses it yet: the service-level timers come with a later
 * issue. The intended use is a non-interrupting boundary timer (or an event sub-process timer)
 * followed by this task, with the clause and the role in task headers, or in an `escalation`
 * variable when they are computed (a due date from the business calendar).
 *
 * Clause = `escalation.clause`, else the `clause` header (e.g. D10 2C); the teams told =
 * `escalation.notify`, else the `escalateTo` header (roles of PROCESSES.md, comma-separated, e.g.
 * deputy-general-manager). The template is the `notice` header, else sla-breached; the payload
 * names the order, the clause, the step that is late (`escalation.step`, else the element id)
 * and the due time.
 *
 * Reads:   escalation {clause?, dueAt?, notify?, step?} (optional); one of order, shipment,
 *          returnRequest, serviceCase (for the order number)
 * Writes:  nothing
 * Errors:  none
 * Effects: one `notifications` row per team (key `<processInstanceKey>:<elementId>:<elementInstanceKey>`,
 *          plus `:<role>` when there are several) and one breach row in `order_events`
 *          (outcome sla-breached, clause = the breached clause) in one transaction, then the
 *          webhook call per row with its key; each row is marked sent. No clause, no or unknown
 *          teams, no order number, or a send failure is thrown (retried; the retry sends the same rows).
 */
import { compact, notifyOnce, subjectOrderNumber, teamMessages, teamsOf, type NotifyDeps } from '../lib/notify.ts'
import { complete, type Handler, type JobContext } from '../lib/worker.ts'

export const taskType = 'escalation-notify'

const subject = { type: ['object', 'null'], properties: { orderNumber: { type: 'string' } } } as const

export const variablesSchema = {
  type: 'object',
  anyOf: [{ required: ['order'] }, { required: ['shipment'] }, { required: ['returnRequest'] }, { required: ['serviceCase'] }],
  properties: {
    escalation: {
      type: ['object', 'null'],
      properties: {
        clause: { type: 'string', minLength: 1 },
        dueAt: { type: 'string' },
        notify: { type: 'string', minLength: 1 },
        step: { type: 'string' },
      },
    },
    order: subject,
    shipment: subject,
    returnRequest: subject,
    serviceCase: subject,
  },
} as const

export const errorCodes = [] as const

export interface Escalation {
  /** The service-level clause that was missed, e.g. D10 2C. */
  clause?: string
  /** When the step was due (ISO 8601). */
  dueAt?: string
  /** Comma-separated roles to tell, e.g. deputy-general-manager. */
  notify?: string
  /** The late step, e.g. GM_APPROVAL; defaults to the element id of this task. */
  step?: string
}

export interface EscalationNotifyVariables {
  escalation?: Escalation | null
  order?: { orderNumber?: string } | null
  shipment?: { orderNumber?: string } | null
  returnRequest?: { orderNumber?: string; returnNumber?: string } | null
  serviceCase?: { orderNumber?: string; caseNumber?: string } | null
}

export function createHandler(deps: NotifyDeps): Handler<EscalationNotifyVariables, never> {
  return async (job: JobContext<EscalationNotifyVariables>) => {
    const escalation = job.variables.escalation ?? {}
    const where = `${job.bpmnProcessId} ${job.elementId}`
    const clause = escalation.clause ?? job.customHeaders.clause?.trim()
    if (!clause) throw new Error(`${where} names no service-level clause: set its "clause" task header (e.g. D10 2C) or escalation.clause`)
    const orderNumber = subjectOrderNumber(job.variables as Record<string, unknown>)
    if (!orderNumber) {
      throw new Error(`${where}: no order number in order, shipment, returnRequest or serviceCase; set it in Operate, then retry`)
    }
    const roles = escalation.notify ? teamsOf(job, 'escalation.notify', escalation.notify) : teamsOf(job, 'escalateTo')
    const template = job.customHeaders.notice?.trim() || 'sla-breached'
    const payload = compact({
      orderNumber,
      returnNumber: job.variables.returnRequest?.returnNumber,
      caseNumber: job.variables.serviceCase?.caseNumber,
      clause,
      step: escalation.step ?? job.elementId,
      dueAt: escalation.dueAt,
    })
    await notifyOnce(deps, job, { orderNumber, clause, outcome: 'sla-breached', messages: teamMessages(roles, template, payload) })
    return complete()
  }
}
