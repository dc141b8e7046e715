/**
 * One timeline per order for auditors: the engine's element instances (with the form data and
 * the user of each completed user task, and the step result and actor the workers recorded in
 * `order_events`), the `order_events` rows no element instance accounts for (API events, SLA
 * breaches), and incidents — each with the procedure clause its BPMN element cites.
 */
import type { Knex } from 'knex'
import type { OrderEventRow } from '../lib/repositories/order-events.ts'
import type { ApiEngine } from './engine.ts'
import { flowNodes, incidents, instanceTree, recordedInstanceKeys, userTasks } from './order-state.ts'
import type { ProcessDocs } from './process-docs.ts'

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

export async function orderHistory(
  deps: { db: Knex; engine: ApiEngine; processDocs: ProcessDocs },
  order: { order_number: string; process_instance_key: string | null },
): Promise<OrderHistory> {
  const { db, engine, processDocs } = deps
  const events: OrderEventRow[] = await db('order_events').where({ order_number: order.order_number }).orderBy('id')
  const instances = await instanceTree(engine, await recordedInstanceKeys(db, order.order_number, order.process_instance_key))
  const processOf = new Map(instances.map((i) => [i.key, i.bpmnProcessId]))
  const tasks = userTasks(await engine.userTaskRecords(instances.map((i) => i.key)))
  const completionByElementInstance = new Map(
    [...tasks.values()].filter((t) => t.completed).map((t) => [t.completed!.elementInstanceKey, { ...t.completed!, assignee: t.assignee }]),
  )
  const eventsByElementInstance = new Map<string, OrderEventRow[]>()
  for (const row of events) {
    if (!row.element_instance_key) continue
    eventsByElementInstance.set(row.element_instance_key, [...(eventsByElementInstance.get(row.element_instance_key) ?? []), row])
  }
  const used = new Set<number>()
  const items: HistoryItem[] = []

  for (const instance of instances) {
    const docs = await processDocs(instance.processDefinitionKey).catch(() => new Map())
    for (const node of await flowNodes(engine, instance.key)) {
      const doc = docs.get(node.flowNodeId)
      const recorded = eventsByElementInstance.get(node.flowNodeInstanceKey) ?? []
      for (const row of recorded) used.add(row.id)
      const completion = completionByElementInstance.get(node.flowNodeInstanceKey)
      const isUserTask = node.type === 'USER_TASK'
      const details: Record<string, unknown> = {}
      if (completion) details.formData = completion.variables
      if (recorded.length) details.recorded = recorded.map((r) => ({ step: r.step, outcome: r.outcome, ...r.details }))
      items.push({
        at: node.startDate ? iso(node.startDate) : iso(new Date(0)),
        kind: recorded.some((r) => r.outcome === 'sla-breached') ? 'sla-breach' : isUserTask ? 'user-task' : 'step',
        source: recorded.length ? 'engine+order_events' : 'engine',
        processInstanceKey: instance.key,
        bpmnProcessId: instance.bpmnProcessId,
        elementId: node.flowNodeId,
        elementName: doc?.name ?? null,
        elementType: node.type,
        state: node.state,
        endedAt: completion ? iso(new Date(completion.timestamp)) : node.endDate ? iso(node.endDate) : null,
        actor: completion
          ? (completion.username ?? completion.assignee ?? 'unassigned')
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
    for (const incident of await incidents(engine, instance.key)) {
      const doc = incident.flowNodeId ? docs.get(incident.flowNodeId) : undefined
      items.push({
        at: incident.creationTime ? iso(incident.creationTime) : iso(new Date(0)),
        kind: 'incident',
        source: 'engine',
        processInstanceKey: instance.key,
        bpmnProcessId: instance.bpmnProcessId,
        elementId: incident.flowNodeId,
        elementName: doc?.name ?? null,
        elementType: null,
        state: incident.state,
        endedAt: null,
        actor: 'engine',
        clause: doc?.clause ?? null,
        procedure: doc?.documentation ?? null,
        outcome: incident.errorType,
        details: { incidentKey: incident.incidentKey, errorMessage: incident.errorMessage },
      })
    }
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
  return { orderNumber: order.order_number, generatedAt: new Date().toISOString(), processInstanceKeys: instances.map((i) => i.key), items }
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
