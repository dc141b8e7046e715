/**
 * sla-deadline — a start execution listener on every element that a service level guards
 * (processes/service-levels.json): turns the levels of that element into due dates on the
 * business calendar (processes/business-calendar.json), so that the element's timer and its
 * Tasklist task wait for the same date. Zeebe has no business calendar: "2 working hours" from
 * Friday 17:00 is Monday 10:00, and a public holiday moves every working-time deadline.
 *
 * The levels are those whose process and element are the job's (`bpmnProcessId`, `elementId`);
 * the urgent policy of the table shortens them for urgent orders (D7 4). The table and calendar
 * are read for every job, so an edited limit applies to the next step that starts.
 *
 * Reads:   slaClock {now} (optional: the moment the levels count from, ISO 8601; default the
 *          job's activation — for tests and for orders entered after the fact); the variables the
 *          table names (order.priority, order.completeSet, productionPlan.*, purchaseRequest.*,
 *          shipment.*); one of order, shipment, returnRequest, serviceCase for the order number
 * Writes:  sla {<id>: {id, clause, kind, limit, urgent, startedAt, due, followUp, escalateTo,
 *          interrupting}} — local to the guarded element (listener variables are): its timer
 *          waits for `=sla.<id>.due`, a user task shows `sla.<id>.due` / `sla.<id>.followUp`
 * Errors:  none
 * Effects: one `service_level_deadlines` row per level and element instance (unique key
 *          element_instance_key + sla_id): a redelivered job gets the due date its first delivery
 *          recorded. No level for the element, or a missing or malformed reference date, is
 *          thrown (an incident naming the variable after the retries).
 */
import { createCalendar, loadCalendarDefinition } from '../lib/calendar.ts'
import { subjectOrderNumber } from '../lib/notify.ts'
import { deadlineOf, levelsOf, loadServiceLevels, variablesRead, type Deadline } from '../lib/service-levels.ts'
import { complete, type Handler, type JobContext, type WorkerDeps } from '../lib/worker.ts'

export const taskType = 'sla-deadline'

const anything = {} as const

export const variablesSchema = {
  type: 'object',
  properties: {
    slaClock: {
      type: ['object', 'null'],
      properties: { now: { type: 'string', minLength: 1 } },
    },
    // Fetched so the order number and the dates the table refers to are at hand.
    ...Object.fromEntries([...variablesRead(loadServiceLevels()), 'order', 'shipment', 'returnRequest', 'serviceCase'].map((name) => [name, anything])),
  },
} as const

export const errorCodes = [] as const

/**
 * Runs as a start execution listener, never as a service task: element templates (which apply to
 * service tasks) leave it out; processes/README.md says how to attach it.
 */
export const executionListener = true

export interface SlaDeadlineVariables {
  slaClock?: { now?: string } | null
  [name: string]: unknown
}

export interface SlaDeadlineOptions {
  now?: () => Date
}

export function createHandler(
  { serviceLevelDeadlines }: Pick<WorkerDeps, 'serviceLevelDeadlines'>,
  options: SlaDeadlineOptions = {},
): Handler<SlaDeadlineVariables, never> {
  const now = options.now ?? (() => new Date())
  return async (job: JobContext<SlaDeadlineVariables>) => {
    const table = loadServiceLevels()
    const levels = levelsOf(table, job.bpmnProcessId, job.elementId)
    if (levels.length === 0) {
      throw new Error(`${job.bpmnProcessId} ${job.elementId} runs sla-deadline, but processes/service-levels.json has no level for this element`)
    }
    const calendar = createCalendar(loadCalendarDefinition())
    const clock = job.variables.slaClock?.now
    const start = clock ? new Date(clock) : now()
    if (Number.isNaN(start.getTime())) throw new Error(`slaClock.now "${clock}" is not an ISO 8601 date-time`)
    const orderNumber = subjectOrderNumber(job.variables) ?? null
    const sla: Record<string, Deadline> = {}
    for (const level of levels) {
      const deadline = deadlineOf(table, level, start, job.variables, calendar)
      const row = await serviceLevelDeadlines.record({
        sla_id: level.id,
        clause: level.clause,
        order_number: orderNumber,
        process_instance_key: job.processInstanceKey,
        element_id: job.elementId,
        element_instance_key: job.elementInstanceKey,
        limit: deadline.limit,
        urgent: deadline.urgent,
        started_at: deadline.startedAt,
        due_at: deadline.due,
        follow_up_at: deadline.followUp,
        escalate_to: deadline.escalateTo,
      })
      sla[level.id] = {
        ...deadline,
        startedAt: new Date(row.started_at).toISOString(),
        due: new Date(row.due_at).toISOString(),
        followUp: new Date(row.follow_up_at).toISOString(),
      }
    }
    return complete({ sla })
  }
}
