/**
 * An order as the engine sees it, from the engine's relational history (history level full, so
 * running instances are there too): every process instance that works on it (those with the order
 * number as business key, those recorded in `order_events`, and the instances they called),
 * their activity instances, user tasks and incidents.
 */
import type { Knex } from 'knex'
import type { ApiEngine } from './engine.ts'

export interface ProcessInstance {
  key: string
  bpmnProcessId: string
  processDefinitionKey: string
  parentKey: string | null
  /** ACTIVE, COMPLETED, CANCELED or SUSPENDED (the API's vocabulary, as before). */
  state: string
  startDate: string | null
  endDate: string | null
}

export interface FlowNodeInstance {
  flowNodeInstanceKey: string
  processInstanceKey: string
  processDefinitionKey: string
  flowNodeId: string
  flowNodeName: string | null
  /** The element type in the API's vocabulary: USER_TASK, SERVICE_TASK, ... */
  type: string
  /** ACTIVE, COMPLETED or TERMINATED. */
  state: string
  startDate: string | null
  endDate: string | null
  taskId: string | null
  calledProcessInstanceId: string | null
}

export interface Incident {
  incidentKey: string
  processInstanceKey: string
  flowNodeId: string | null
  errorType: string | null
  errorMessage: string | null
  creationTime: string | null
  endTime: string | null
  /** ACTIVE, RESOLVED or DELETED. */
  state: string | null
}

const str = (value: unknown) => (value === undefined || value === null ? null : String(value))

/** The engine's date (yyyy-MM-dd'T'HH:mm:ss.SSS+0000) as ISO 8601. */
export const isoDate = (value: unknown): string | null => (value ? new Date(String(value)).toISOString() : null)

/** userTask → USER_TASK, intermediateMessageCatch → INTERMEDIATE_MESSAGE_CATCH. */
export const elementType = (activityType: string) => activityType.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()

interface HistoricProcessInstance {
  id: string
  businessKey: string | null
  processDefinitionKey: string
  processDefinitionId: string
  superProcessInstanceId: string | null
  state: string
  startTime: string | null
  endTime: string | null
}

const instanceState = (state: string) =>
  state === 'EXTERNALLY_TERMINATED' || state === 'INTERNALLY_TERMINATED' ? 'CANCELED' : state

function mapInstance(i: HistoricProcessInstance): ProcessInstance {
  return {
    key: i.id,
    bpmnProcessId: i.processDefinitionKey,
    processDefinitionKey: i.processDefinitionId,
    parentKey: i.superProcessInstanceId ?? null,
    state: instanceState(i.state),
    startDate: isoDate(i.startTime),
    endDate: isoDate(i.endTime),
  }
}

/** Process-instance keys recorded for the order in the database. */
export async function recordedInstanceKeys(db: Knex, orderNumber: string, orderKey: string | null): Promise<string[]> {
  const rows: { process_instance_key: string }[] = await db('order_events')
    .where({ order_number: orderNumber })
    .whereNotNull('process_instance_key')
    .distinct('process_instance_key')
  return [...new Set([...(orderKey ? [orderKey] : []), ...rows.map((r) => r.process_instance_key)])]
}

/**
 * The order's instances: those with its number as business key, the given roots, and every
 * instance they called (by superProcessInstanceId), oldest first.
 */
export async function instanceTree(engine: ApiEngine, orderNumber: string, roots: string[]): Promise<ProcessInstance[]> {
  const found = new Map<string, ProcessInstance>()
  const byKey = await engine.rest.post<HistoricProcessInstance[]>('/history/process-instance?maxResults=500', { processInstanceBusinessKey: orderNumber })
  for (const i of byKey) found.set(i.id, mapInstance(i))
  const missing = roots.filter((r) => !found.has(r))
  if (missing.length) {
    for (const i of await engine.rest.post<HistoricProcessInstance[]>('/history/process-instance', { processInstanceIds: missing })) found.set(i.id, mapInstance(i))
  }
  let frontier = [...found.keys()]
  for (let depth = 0; depth < 4 && frontier.length; depth++) {
    const next: string[] = []
    const childrenOf = await Promise.all(frontier.map((parent) =>
      engine.rest.get<HistoricProcessInstance[]>(`/history/process-instance?superProcessInstanceId=${encodeURIComponent(parent)}&maxResults=500`)))
    for (const children of childrenOf) {
      for (const child of children) {
        if (found.has(child.id)) continue
        found.set(child.id, mapInstance(child))
        next.push(child.id)
      }
    }
    frontier = next
  }
  return [...found.values()].sort((a, b) => String(a.startDate).localeCompare(String(b.startDate)))
}

interface HistoricActivityInstance {
  id: string
  activityId: string
  activityName: string | null
  activityType: string
  processInstanceId: string
  processDefinitionId: string
  startTime: string | null
  endTime: string | null
  canceled: boolean
  taskId: string | null
  calledProcessInstanceId: string | null
}

/** The activity instances of one process instance, in the order they started. */
export async function flowNodes(engine: ApiEngine, processInstanceKey: string): Promise<FlowNodeInstance[]> {
  const query = new URLSearchParams({ processInstanceId: processInstanceKey, sortBy: 'startTime', sortOrder: 'asc', maxResults: '2000' })
  const nodes = await engine.rest.get<HistoricActivityInstance[]>(`/history/activity-instance?${query}`)
  return nodes.map((n) => ({
    flowNodeInstanceKey: n.id,
    processInstanceKey: n.processInstanceId,
    processDefinitionKey: n.processDefinitionId,
    flowNodeId: n.activityId,
    flowNodeName: n.activityName ?? null,
    type: elementType(n.activityType),
    // The engine ends an event-based gateway as "canceled" when one of its events fires: it did its work.
    state: !n.endTime ? 'ACTIVE' : n.canceled && n.activityType !== 'eventBasedGateway' ? 'TERMINATED' : 'COMPLETED',
    startDate: isoDate(n.startTime),
    endDate: isoDate(n.endTime),
    taskId: n.taskId ?? null,
    calledProcessInstanceId: n.calledProcessInstanceId ?? null,
  }))
}

interface HistoricIncident {
  id: string
  processInstanceId: string
  activityId: string | null
  incidentType: string | null
  incidentMessage: string | null
  createTime: string | null
  endTime: string | null
  open: boolean
  resolved: boolean
  deleted: boolean
}

/** Every incident of one process instance (open, resolved or deleted). */
export async function incidents(engine: ApiEngine, processInstanceKey: string): Promise<Incident[]> {
  const list = await engine.rest.get<HistoricIncident[]>(`/history/incident?processInstanceId=${encodeURIComponent(processInstanceKey)}`)
  return list.map((i) => ({
    incidentKey: i.id,
    processInstanceKey: i.processInstanceId,
    flowNodeId: str(i.activityId),
    errorType: str(i.incidentType),
    errorMessage: str(i.incidentMessage),
    creationTime: isoDate(i.createTime),
    endTime: isoDate(i.endTime),
    state: i.open ? 'ACTIVE' : i.resolved ? 'RESOLVED' : 'DELETED',
  }))
}

export interface OpenTask {
  id: string
  processInstanceId: string
  taskDefinitionKey: string
  name: string | null
  assignee: string | null
  due: string | null
  created: string | null
  candidateGroups: string[]
}

/** The open user tasks of the given instances, each with its candidate groups. */
export async function openTasks(engine: ApiEngine, processInstanceKeys: string[]): Promise<OpenTask[]> {
  if (processInstanceKeys.length === 0) return []
  const tasks = await engine.rest.post<{ id: string; processInstanceId: string; taskDefinitionKey: string; name: string | null; assignee: string | null; due: string | null; created: string | null }[]>(
    '/task?sortBy=created&sortOrder=asc', { processInstanceIdIn: processInstanceKeys },
  )
  const out: OpenTask[] = []
  for (const task of tasks) {
    const links = await engine.rest.get<{ groupId: string | null }[]>(`/task/${encodeURIComponent(task.id)}/identity-links?type=candidate`)
    out.push({
      ...task,
      due: isoDate(task.due),
      created: isoDate(task.created),
      candidateGroups: links.map((l) => l.groupId).filter((g): g is string => Boolean(g)),
    })
  }
  return out
}
