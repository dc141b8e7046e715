/**
 * escalation-notify — a service level was missed: tells the next level up and records the
 * breach, without taking the work away from whoever holds it (PROCESSES.md "Service levels":
 * every SLA timer escalates). In the diagrams it follows each service-level boundary timer, with
 * the level's row id in the `sla` property (processes/service-levels.json): the clause and the
 * roles come from that row, the due date from the process variable `sla.<id>` that the engine's
 * serviceLevels bean wrote when the guarded step started (the instant its timer waited for), and
 * the missed deadline is recorded in `service_level_deadlines`. Without an `sla` property the
 * clause and the roles come from the `escalation` variable or the task properties.
 *
 * Clause = `escalation.clause`, else the `clause` header (e.g. D10 2C); the teams told =
 * `escalation.notify`, else the `escalateTo` header (roles of PROCESSES.md, comma-separated, e.g.
 * deputy-general-manager). The template is the `notice` header, else sla-breached; the payload
 * names the order, the clause, the step that is late (`escalation.step`, else the element id)
 * and the due time.
 *
 * Reads:   sla {<id>: {id, clause, kind, limit, urgent, startedAt, due, followUp, escalateTo,
 *          interrupting, activityInstanceId}} (required with the `sla` property: written by
 *          ${serviceLevels.due(execution, '<id>')} in the guarded element's timer);
 *          escalation {clause?, dueAt?, notify?, step?} (optional); one of order, shipment,
 *          returnRequest, serviceCase (for the order number)
 * Writes:  nothing
 * Errors:  none
 * Effects: with the `sla` property, one breached row in `service_level_deadlines` (unique key
 *          guarded activity instance + level: a redelivered task writes nothing twice); then
 *          one `notifications` row per team (key `<processInstanceKey>:<elementId>:<elementInstanceKey>`,
 *          plus `:<role>` when there are several) and one breach row in `order_events`
 *          (outcome sla-breached, clause = the breached clause; details.result {sla, dueAt,
 *          firedAt, recipients, ...}: who was told) in one transaction, then the
 *          webhook call per row with its key; each row is marked sent. No clause, no or unknown
 *          teams, no order number, no `sla.<id>` for the named level, or a send failure is thrown
 *          (retried; the retry sends the same rows).
 */
import { compact, notifyOnce, subjectOrderNumber, teamMessages, teamsOf, type NotifyDeps } from '../lib/notify.ts'
import { loadServiceLevels, type Deadline } from '../lib/service-levels.ts'
import { complete, type Handler, type JobContext, type WorkerDeps } from '../lib/worker.ts'

export const taskType = 'escalation-notify'

const subject = { type: ['object', 'null'], properties: { orderNumber: { type: 'string' } } } as const

export const variablesSchema = {
  type: 'object',
  anyOf: [{ required: ['order'] }, { required: ['shipment'] }, { required: ['returnRequest'] }, { required: ['serviceCase'] }],
  properties: {
    sla: { type: ['object', 'null'], additionalProperties: { type: 'object', required: ['due'], properties: { due: { type: 'string', minLength: 1 } } } },
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
  /** The late step's activity instance (from its service level), as the deadline register keys it. */
  stepInstanceKey?: string
}

export interface EscalationNotifyVariables {
  /** The deadlines the engine's serviceLevels bean computed, by level id. */
  sla?: Record<string, Deadline> | null
  escalation?: Escalation | null
  order?: { orderNumber?: string } | null
  shipment?: { orderNumber?: string } | null
  returnRequest?: { orderNumber?: string; returnNumber?: string } | null
  serviceCase?: { orderNumber?: string; caseNumber?: string } | null
}

/** The `sla` property's level: clause and roles from the table, the due instant from `sla.<id>`, recorded as breached. */
async function levelEscalation(deps: EscalationNotifyDeps, job: JobContext<EscalationNotifyVariables>, slaId: string, firedAt: Date): Promise<Escalation> {
  const where = `${job.bpmnProcessId} ${job.elementId}`
  const level = loadServiceLevels().levels.find((l) => l.id === slaId)
  if (!level) throw new Error(`${where}: its sla property names "${slaId}", which processes/service-levels.json does not define`)
  const deadline = job.variables.sla?.[slaId]
  if (!deadline) {
    throw new Error(`${where}: no variable sla.${slaId}; the timer of ${level.element} must wait for \${serviceLevels.due(execution, '${slaId}')}`)
  }
  if (!deps.serviceLevelDeadlines) throw new Error(`${where}: no deadline register to record the breach of ${slaId} in`)
  await deps.serviceLevelDeadlines.recordBreach(
    {
      sla_id: slaId,
      clause: deadline.clause ?? level.clause,
      order_number: subjectOrderNumber(job.variables as Record<string, unknown>) ?? null,
      process_instance_key: job.processInstanceKey,
      element_id: level.element,
      // The guarded step's activity instance; the escalation's own as a fallback keeps one row per escalation.
      element_instance_key: deadline.activityInstanceId ?? job.elementInstanceKey,
      limit: deadline.limit ?? null,
      urgent: Boolean(deadline.urgent),
      started_at: deadline.startedAt,
      due_at: deadline.due,
      follow_up_at: deadline.followUp ?? deadline.due,
      escalate_to: deadline.escalateTo ?? level.escalateTo.join(','),
    },
    firedAt,
  )
  return {
    clause: level.clause,
    notify: level.escalateTo.join(','),
    step: level.element,
    dueAt: new Date(deadline.due).toISOString(),
    stepInstanceKey: deadline.activityInstanceId ?? job.elementInstanceKey,
  }
}

export type EscalationNotifyDeps = NotifyDeps & Partial<Pick<WorkerDeps, 'serviceLevelDeadlines'>>

export function createHandler(deps: EscalationNotifyDeps): Handler<EscalationNotifyVariables, never> {
  return async (job: JobContext<EscalationNotifyVariables>) => {
    const slaId = job.customHeaders.sla?.trim()
    const fired = new Date()
    const firedAt = fired.toISOString()
    const escalation = slaId ? await levelEscalation(deps, job, slaId, fired) : (job.variables.escalation ?? {})
    const where = `${job.bpmnProcessId} ${job.elementId}`
    const clause = escalation.clause ?? job.customHeaders.clause?.trim()
    if (!clause) throw new Error(`${where} names no service-level clause: set its "clause" task header (e.g. D10 2C) or escalation.clause`)
    const orderNumber = subjectOrderNumber(job.variables as Record<string, unknown>)
    if (!orderNumber) {
      throw new Error(`${where}: no order number in order, shipment, returnRequest or serviceCase; set it in Cockpit, then retry`)
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
    const details = compact({ sla: slaId, dueAt: escalation.dueAt, firedAt, stepInstanceKey: escalation.stepInstanceKey })
    await notifyOnce(deps, job, { orderNumber, clause, outcome: 'sla-breached', messages: teamMessages(roles, template, payload), details })
    return complete()
  }
}
