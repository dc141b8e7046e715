/**
 * An order as the engine sees it: every process instance that works on it (the order's own, the
 * instances the API or a worker recorded in `order_events`, and their called children), with
 * their element instances, open user tasks and incidents.
 */
import type { Knex } from 'knex'
import type { ApiEngine, UserTaskRecord } from './engine.ts'

interface Page<T> {
  items: T[]
}

export interface ProcessInstance {
  key: string
  bpmnProcessId: string
  processDefinitionKey: string
  parentKey: string | null
  state: string
  startDate: string | null
}

export interface FlowNodeInstance {
  flowNodeInstanceKey: string
  processInstanceKey: string
  processDefinitionKey: string
  flowNodeId: string
  type: string
  state: string
  startDate: string | null
  endDate: string | null
}

export interface Incident {
  incidentKey: string
  processInstanceKey: string
  flowNodeId: string | null
  flowNodeInstanceKey: string | null
  errorType: string | null
  errorMessage: string | null
  creationTime: string | null
  state: string | null
}

const str = (value: unknown) => (value === undefined || value === null ? null : String(value))

/** Process-instance keys recorded for the order in the database. */
export async function recordedInstanceKeys(db: Knex, orderNumber: string, orderKey: string | null): Promise<string[]> {
  const rows: { process_instance_key: string }[] = await db('order_events')
    .where({ order_number: orderNumber })
    .whereNotNull('process_instance_key')
    .distinct('process_instance_key')
  return [...new Set([...(orderKey ? [orderKey] : []), ...rows.map((r) => r.process_instance_key)])]
}

/** The instances with the given keys and every instance they called, breadth first. */
export async function instanceTree(engine: ApiEngine, roots: string[]): Promise<ProcessInstance[]> {
  const found = new Map<string, ProcessInstance>()
  const map = (i: Record<string, unknown>): ProcessInstance => ({
    key: String(i.key),
    bpmnProcessId: String(i.bpmnProcessId),
    processDefinitionKey: String(i.processDefinitionKey),
    parentKey: str(i.parentKey),
    state: String(i.state),
    startDate: str(i.startDate),
  })
  for (const key of roots) {
    const page = await engine.rest.post<Page<Record<string, unknown>>>('/v1/process-instances/search', { filter: { key: Number(key) } })
    for (const item of page.items) found.set(String(item.key), map(item))
  }
  let frontier = [...found.keys()]
  for (let depth = 0; depth < 4 && frontier.length; depth++) {
    const next: string[] = []
    for (const parent of frontier) {
      const page = await engine.rest.post<Page<Record<string, unknown>>>('/v1/process-instances/search', { filter: { parentKey: Number(parent) }, size: 100 })
      for (const item of page.items) {
        const child = map(item)
        if (!found.has(child.key)) {
          found.set(child.key, child)
          next.push(child.key)
        }
      }
    }
    frontier = next
  }
  return [...found.values()]
}

export async function flowNodes(engine: ApiEngine, processInstanceKey: string): Promise<FlowNodeInstance[]> {
  const page = await engine.rest.post<Page<Record<string, unknown>>>('/v2/flownode-instances/search', {
    filter: { processInstanceKey: Number(processInstanceKey) },
    sort: [{ field: 'startDate', order: 'ASC' }],
    page: { limit: 1000 },
  })
  return page.items.map((n) => ({
    flowNodeInstanceKey: String(n.flowNodeInstanceKey ?? n.key),
    processInstanceKey: String(n.processInstanceKey),
    processDefinitionKey: String(n.processDefinitionKey),
    flowNodeId: String(n.flowNodeId),
    type: String(n.type),
    state: String(n.state),
    startDate: str(n.startDate),
    endDate: str(n.endDate),
  }))
}

export async function incidents(engine: ApiEngine, processInstanceKey: string): Promise<Incident[]> {
  const page = await engine.rest.post<Page<Record<string, unknown>>>('/v2/incidents/search', {
    filter: { processInstanceKey: Number(processInstanceKey) },
    page: { limit: 100 },
  })
  return page.items.map((i) => ({
    incidentKey: String(i.incidentKey ?? i.key),
    processInstanceKey: String(i.processInstanceKey),
    flowNodeId: str(i.flowNodeId),
    flowNodeInstanceKey: str(i.flowNodeInstanceKey),
    errorType: str(i.errorType),
    errorMessage: str(i.errorMessage),
    creationTime: str(i.creationTime),
    state: str(i.state),
  }))
}

/** User tasks by key, each with its records (CREATED, ASSIGNED, COMPLETED, ...). */
export function userTasks(records: UserTaskRecord[]) {
  const tasks = new Map<string, { created?: UserTaskRecord; completed?: UserTaskRecord; ended: boolean; assignee: string | null }>()
  for (const record of records) {
    const task = tasks.get(record.key) ?? { ended: false, assignee: null }
    if (record.intent === 'CREATED') task.created = record
    if (record.intent === 'COMPLETED') task.completed = record
    if (['COMPLETING', 'COMPLETED', 'CANCELING', 'CANCELED'].includes(record.intent)) task.ended = true
    if (record.assignee) task.assignee = record.assignee
    tasks.set(record.key, task)
  }
  return tasks
}
