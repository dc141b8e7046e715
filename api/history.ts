/**
 * One timeline per order for auditors, from the engine's relational history and the order
 * database: the activity instances of every instance of the order (`/history/activity-instance`),
 * each user task with the user who completed it (`/history/task` and the user operation log) and
 * the data submitted with it (`/history/detail`), incidents (`/history/incident`), SLA breaches
 * (`service_level_deadlines` and the `sla` process variable), and the `order_events` rows (the
 * step result and actor the workers recorded; API events and their delivery) — each step with the
 * procedure clause its BPMN element cites (the deployed XML's documentation).
 */
import type { Knex } from 'knex'
import { fromEngineVariable, type EngineVariable } from '../lib/engine-rest.ts'
import type { OrderEventRow } from '../lib/repositories/order-events.ts'
import type { ApiEngine } from './engine.ts'
import { flowNodes, incidents, instanceTree, isoDate, recordedInstanceKeys, type ProcessInstance } from './order-state.ts'
import type { ElementDoc, ProcessDocs } from './process-docs.ts'

export interface HistoryItem {
  at: string
  kind: 'step' | 'user-task' | 'event' | 'incident' | 'sla-breach'
  source: 'engine' | 'order_events' | 'engine+order_events'
  processInstanceKey: string | null
  bpmnProcessId: string | null
  elementId: string | null
  elementName: string | null
  elementType: string | null
  state: string | null
  endedAt: string | null
  actor: string
  clause: string | null
  procedure: string | null
  outcome: string | null
  details: Record<string, unknown>
}

export interface OrderHistory {
  orderNumber: string
  generatedAt: string
  processInstanceKeys: string[]
  items: HistoryItem[]
}

const iso = (value: Date | string) => new Date(value).toISOString()

interface HistoricTask {
  id: string
  activityInstanceId: string
  taskDefinitionKey: string
  assignee: string | null
  startTime: string
  endTime: string | null
  deleteReason: string | null
}

interface UserOperation {
  operationId: string
  operationType: string
  taskId: string | null
  userId: string | null
  timestamp: string
}

interface HistoricDetail extends Partial<EngineVariable> {
  type: 'variableUpdate' | 'formField'
  activityInstanceId: string | null
  taskId: string | null
  userOperationId: string | null
  variableName?: string
  variableType?: string
  fieldId?: string
  fieldValue?: unknown
  time: string
}

interface Completion {
  taskId: string
  user: string | null
  at: string | null
  formData: Record<string, unknown>
}

/** The user tasks of one instance that ended, by activity instance: who completed them, when, with what data. */
async function completions(engine: ApiEngine, processInstanceId: string): Promise<Map<string, Completion>> {
  const id = encodeURIComponent(processInstanceId)
  const [tasks, operations, details] = await Promise.all([
    engine.rest.get<HistoricTask[]>(`/history/task?processInstanceId=${id}&finished=true`),
    engine.rest.get<UserOperation[]>(`/history/user-operation?processInstanceId=${id}&operationType=Complete&maxResults=1000`),
    engine.rest.get<HistoricDetail[]>(`/history/detail?processInstanceId=${id}&deserializeValues=false&maxResults=5000`),
  ])
  const out = new Map<string, Completion>()
  for (const task of tasks) {
    if (task.deleteReason && task.deleteReason !== 'completed') continue
    const completed = operations.find((o) => o.taskId === task.id)
    const formData: Record<string, unknown> = {}
    for (const detail of details) {
      const byTask = detail.taskId === task.id
      const byOperation = Boolean(completed && detail.userOperationId && detail.userOperationId === completed.operationId)
      if (!byTask && !byOperation) continue
      if (detail.type === 'formField' && detail.fieldId) formData[detail.fieldId] = detail.fieldValue
      if (detail.type === 'variableUpdate' && detail.variableName) {
        formData[detail.variableName] = fromEngineVariable({ value: detail.value, type: detail.variableType ?? detail.type })
      }
    }
    out.set(task.activityInstanceId, {
      taskId: task.id,
      user: completed?.userId ?? task.assignee ?? null,
      at: isoDate(completed?.timestamp ?? task.endTime),
      formData,
    })
  }
  return out
}

/** The `sla` process variable of an instance: the deadline of each guarded step, by SLA id. */
async function slaOf(engine: ApiEngine, processInstanceId: string): Promise<Record<string, { activityInstanceId?: string; [field: string]: unknown }>> {
  const found = await engine.rest.get<(EngineVariable & { name: string })[]>(
    `/history/variable-instance?processInstanceId=${encodeURIComponent(processInstanceId)}&variableName=sla&deserializeValues=false`,
  )
  const value = found[0] ? fromEngineVariable(found[0]) : null
  return value && typeof value === 'object' ? (value as Record<string, { activityInstanceId?: string }>) : {}
}

interface DeadlineRow {
  sla_id: string
  clause: string
  process_instance_key: string
  element_id: string
  element_instance_key: string
  limit: string | null
  urgent: boolean
  due_at: Date
  escalate_to: string
  breached_at: Date | null
}

/** The timeline with the instances it was read from (the auditor's view draws their diagrams). */
export interface OrderStory {
  history: OrderHistory
  instances: ProcessInstance[]
}

/** The order's timeline (see the module comment). */
export async function orderHistory(
  deps: { db: Knex; engine: ApiEngine; processDocs: ProcessDocs },
  order: { order_number: string; process_instance_key: string | null },
): Promise<OrderHistory> {
  return (await orderStory(deps, order)).history
}

/** The order's timeline and its process instances, read once; the instances are read in parallel. */
export async function orderStory(
  deps: { db: Knex; engine: ApiEngine; processDocs: ProcessDocs },
  order: { order_number: string; process_instance_key: string | null },
): Promise<OrderStory> {
  const { db, engine, processDocs } = deps
  const [events, deadlines, instances]: [OrderEventRow[], DeadlineRow[], ProcessInstance[]] = await Promise.all([
    db('order_events').where({ order_number: order.order_number }).orderBy('id'),
    db('service_level_deadlines').where({ order_number: order.order_number }).orderBy('id'),
    recordedInstanceKeys(db, order.order_number, order.process_instance_key).then((roots) => instanceTree(engine, order.order_number, roots)),
  ])
  const processOf = new Map(instances.map((i) => [i.key, i.bpmnProcessId]))
  const eventsByElementInstance = new Map<string, OrderEventRow[]>()
  for (const row of events) {
    if (!row.element_instance_key) continue
    eventsByElementInstance.set(row.element_instance_key, [...(eventsByElementInstance.get(row.element_instance_key) ?? []), row])
  }
  const used = new Set<number>()
  const items: HistoryItem[] = []

  const read = await Promise.all(instances.map(async (instance) => {
    const [docs, done, sla, nodes, found] = await Promise.all([
      processDocs(instance.processDefinitionKey).catch(() => new Map<string, ElementDoc>()),
      completions(engine, instance.key),
      slaOf(engine, instance.key).then(Object.values),
      flowNodes(engine, instance.key),
      incidents(engine, instance.key),
    ])
    return { instance, docs, done, sla, nodes, incidents: found }
  }))
  for (const { instance, docs, done, sla, nodes, incidents: found } of read) {
    for (const node of nodes) {
      const doc = docs.get(node.flowNodeId)
      const recorded = eventsByElementInstance.get(node.flowNodeInstanceKey) ?? []
      for (const row of recorded) used.add(row.id)
      const completion = done.get(node.flowNodeInstanceKey)
      const isUserTask = node.type === 'USER_TASK'
      const details: Record<string, unknown> = {}
      if (completion) details.formData = completion.formData
      if (node.taskId) details.taskId = node.taskId
      if (node.calledProcessInstanceId) details.calledProcessInstanceKey = node.calledProcessInstanceId
      const deadline = sla.filter((d) => d.activityInstanceId === node.flowNodeInstanceKey)
      if (deadline.length) details.sla = deadline
      if (recorded.length) details.recorded = recorded.map((r) => ({ step: r.step, outcome: r.outcome, ...r.details }))
      items.push({
        at: node.startDate ?? iso(new Date(0)),
        kind: recorded.some((r) => r.outcome === 'sla-breached') ? 'sla-breach' : isUserTask ? 'user-task' : 'step',
        source: recorded.length ? 'engine+order_events' : 'engine',
        processInstanceKey: instance.key,
        bpmnProcessId: instance.bpmnProcessId,
        elementId: node.flowNodeId,
        elementName: doc?.name ?? node.flowNodeName,
        elementType: node.type,
        state: node.state,
        endedAt: completion?.at ?? node.endDate,
        actor: completion
          ? (completion.user ?? 'unassigned')
          : recorded.length
            ? recorded[recorded.length - 1].actor
            : isUserTask
              ? 'open'
              : 'engine',
        clause: doc?.clause ?? recorded.find((r) => r.clause)?.clause ?? null,
        procedure: doc?.documentation ?? null,
        outcome: recorded.length ? recorded[recorded.length - 1].outcome : completion ? 'completed' : null,
        details,
      })
    }
    for (const incident of found) {
      const doc = incident.flowNodeId ? docs.get(incident.flowNodeId) : undefined
      items.push({
        at: incident.creationTime ?? iso(new Date(0)),
        kind: 'incident',
        source: 'engine',
        processInstanceKey: instance.key,
        bpmnProcessId: instance.bpmnProcessId,
        elementId: incident.flowNodeId,
        elementName: doc?.name ?? null,
        elementType: null,
        state: incident.state,
        endedAt: incident.endTime,
        actor: 'engine',
        clause: doc?.clause ?? null,
        procedure: doc?.documentation ?? null,
        outcome: incident.errorType,
        details: { incidentKey: incident.incidentKey, errorMessage: incident.errorMessage },
      })
    }
  }

  // A breach the escalation recorded in order_events is already on the timeline; the register adds the others.
  // The escalation's row (details.result, lib/notify.ts) names the SLA and the guarded step's
  // instance, which is how the register keys it.
  const breachesRecorded = new Set(events.filter((e) => e.outcome === 'sla-breached').map((e) => {
    const result = (e.details?.result ?? {}) as { sla?: string; stepInstanceKey?: string }
    return `${result.stepInstanceKey ?? e.element_instance_key}:${result.sla ?? ''}`
  }))
  for (const deadline of deadlines) {
    if (!deadline.breached_at) continue
    if (breachesRecorded.has(`${deadline.element_instance_key}:${deadline.sla_id}`)) continue
    items.push({
      at: iso(deadline.breached_at),
      kind: 'sla-breach',
      source: 'order_events',
      processInstanceKey: deadline.process_instance_key,
      bpmnProcessId: processOf.get(deadline.process_instance_key) ?? null,
      elementId: deadline.element_id,
      elementName: null,
      elementType: null,
      state: 'BREACHED',
      endedAt: null,
      actor: 'engine',
      clause: deadline.clause,
      procedure: null,
      outcome: 'sla-breached',
      details: {
        sla: deadline.sla_id, elementInstanceKey: deadline.element_instance_key, limit: deadline.limit, urgent: deadline.urgent,
        dueAt: iso(deadline.due_at), escalateTo: deadline.escalate_to, register: 'service_level_deadlines',
      },
    })
  }

  for (const row of events) {
    if (used.has(row.id)) continue
    items.push({
      at: iso(row.occurred_at),
      kind: row.outcome === 'sla-breached' ? 'sla-breach' : 'event',
      source: 'order_events',
      processInstanceKey: row.process_instance_key,
      bpmnProcessId: row.process_instance_key ? (processOf.get(row.process_instance_key) ?? null) : null,
      elementId: row.element_id,
      elementName: null,
      elementType: null,
      state: null,
      endedAt: null,
      actor: row.actor,
      clause: row.clause,
      procedure: null,
      outcome: row.outcome,
      details: { step: row.step, ...row.details },
    })
  }
  items.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
  return {
    history: { orderNumber: order.order_number, generatedAt: new Date().toISOString(), processInstanceKeys: instances.map((i) => i.key), items },
    instances,
  }
}

/** CSV columns, in order; `details` is the JSON of the item's details. */
export const csvColumns = [
  'at', 'kind', 'source', 'processInstanceKey', 'bpmnProcessId', 'elementId', 'elementName', 'elementType',
  'state', 'endedAt', 'actor', 'clause', 'outcome', 'procedure', 'details',
] as const

/**
 * A CSV field: quoted when needed; a text starting with = + - @ (or a tab / CR) gets a leading
 * apostrophe so a spreadsheet shows it instead of running it as a formula.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return ''
  let text = typeof value === 'string' ? value : JSON.stringify(value)
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** The timeline as CSV (RFC 4180, CRLF line ends, header row). */
export function historyCsv(history: OrderHistory): string {
  const lines = [csvColumns.join(',')]
  for (const item of history.items) lines.push(csvColumns.map((column) => csvField(item[column])).join(','))
  return `${lines.join('\r\n')}\r\n`
}
