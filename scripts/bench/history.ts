/**
 * What the benchmark and the chaos run read from the engine, over its REST API: open user tasks,
 * open message subscriptions, instances and their activities from the relational history, and
 * open incidents. The history is written in the same transaction as the runtime state, so what
 * it shows is current — there is no importer to wait for.
 */
import type { EngineRest } from '../../lib/engine-rest.ts'

/** A user task waiting for a person (`GET /task`). */
export interface OpenTask {
  id: string
  taskDefinitionKey: string
  processInstanceId: string
  processDefinitionId: string
  created: string
}

/** An open message wait (`GET /event-subscription`). */
export interface MessageSubscription {
  id: string
  eventName: string
  activityId: string
  executionId: string
  processInstanceId: string
  createdDate: string
}

export interface HistoricInstance {
  id: string
  businessKey: string | null
  processDefinitionKey: string
  superProcessInstanceId: string | null
  startTime: string
  endTime: string | null
  /** ACTIVE, SUSPENDED, COMPLETED, EXTERNALLY_TERMINATED, INTERNALLY_TERMINATED */
  state: string
}

export interface HistoricActivity {
  id: string
  activityId: string
  activityType: string
  processInstanceId: string
  startTime: string
  endTime: string | null
  canceled: boolean
  calledProcessInstanceId: string | null
}

export interface OpenIncident {
  id: string
  incidentType: string
  incidentMessage: string | null
  activityId: string
  processInstanceId: string
  /** The external task id (failedExternalTask) or job id (failedJob) whose retries ran out. */
  configuration: string | null
}

/** Engine times (`2026-12-01T10:00:00.123+0000`) as epoch milliseconds. */
export const engineTime = (value: string) => new Date(value).getTime()

/** Splits a long id list so no query string grows past what a server accepts. */
export function chunks<T>(items: T[], size = 200): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

export function engineHistory(rest: EngineRest) {
  const instanceCache = new Map<string, HistoricInstance>()
  return {
    /** Open user tasks of instances with these business keys, or of these process definitions. */
    async openTasks(filter: { businessKeys?: string[]; processDefinitionKeys?: string[] }): Promise<OpenTask[]> {
      if (filter.businessKeys?.length === 0) return []
      const out: OpenTask[] = []
      for (const part of chunks(filter.businessKeys ?? [''])) {
        out.push(...(await rest.post<OpenTask[]>('/task?maxResults=10000', {
          ...(filter.businessKeys ? { processInstanceBusinessKeyIn: part } : {}),
          ...(filter.processDefinitionKeys ? { processDefinitionKeyIn: filter.processDefinitionKeys } : {}),
        })))
      }
      return out
    },
    /** Every open message subscription on the engine (callers keep their own instances'). */
    messageSubscriptions: () => rest.get<MessageSubscription[]>('/event-subscription?eventType=message&maxResults=10000'),
    /** Instances by id, from the history (running and ended). */
    async instances(ids: string[]): Promise<HistoricInstance[]> {
      const out: HistoricInstance[] = []
      for (const part of chunks(ids)) out.push(...(await rest.post<HistoricInstance[]>('/history/process-instance?maxResults=10000', { processInstanceIds: part })))
      return out
    },
    /** One instance (cached: its business key and parent never change). */
    async instance(id: string): Promise<HistoricInstance | undefined> {
      const known = instanceCache.get(id)
      if (known) return known
      const [found] = await rest.get<HistoricInstance[]>(`/history/process-instance?processInstanceId=${encodeURIComponent(id)}`)
      if (found) instanceCache.set(id, found)
      return found
    },
    /** The instances a call activity of `parentId` started. */
    children: (parentId: string) => rest.get<HistoricInstance[]>(`/history/process-instance?superProcessInstanceId=${encodeURIComponent(parentId)}`),
    /** Every activity instance of an instance, in the order they started. */
    activities: (processInstanceId: string, { unfinished = false } = {}) =>
      rest.get<HistoricActivity[]>(
        `/history/activity-instance?processInstanceId=${encodeURIComponent(processInstanceId)}${unfinished ? '&unfinished=true' : ''}&sortBy=startTime&sortOrder=asc&maxResults=10000`,
      ),
    /** Open incidents of one instance. */
    incidents: (processInstanceId: string) => rest.get<OpenIncident[]>(`/incident?processInstanceId=${encodeURIComponent(processInstanceId)}`),
    /** Open incidents of these process definitions. */
    incidentsOf: (processDefinitionKeys: string[]) => rest.get<OpenIncident[]>(`/incident?processDefinitionKeyIn=${processDefinitionKeys.map(encodeURIComponent).join(',')}`),
  }
}

export type EngineHistory = ReturnType<typeof engineHistory>
