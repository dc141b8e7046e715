/**
 * What the API needs from the engine: start instances, publish messages (gRPC), and read
 * state and history (REST searches, Operate for process instances, and the exporter's
 * user-task records in OpenSearch because of the Tasklist 8.6.0 importer bug, see
 * lib/engine-records.ts). One interface, so tests can count what the API asked for.
 */
import type { Camunda8 } from '@camunda8/sdk'
import { createEngineRest, engineSession, type EngineRest } from '../lib/camunda.ts'
import type { Config } from '../lib/config.ts'
import { ports } from '../lib/engine.ts'

export interface StartedInstance {
  processInstanceKey: string
  processDefinitionKey: string
}

export interface Message {
  name: string
  correlationKey: string
  messageId: string
  variables: Record<string, unknown>
  /** Milliseconds the engine keeps the message for a subscription that opens later. */
  timeToLive: number
}

/** An exported user-task record, reduced to what the API shows. */
export interface UserTaskRecord {
  key: string
  intent: string
  timestamp: number
  processInstanceKey: string
  elementId: string
  elementInstanceKey: string
  candidateGroups: string[]
  assignee: string | null
  dueDate: string | null
  variables: Record<string, unknown>
  /** Who sent the command, when the record names it (authorizations of 8.6). */
  username: string | null
}

export interface ApiEngine {
  startProcess(bpmnProcessId: string, variables: Record<string, unknown>): Promise<StartedInstance>
  publishMessage(message: Message): Promise<void>
  /** Cancels an instance (undoes a start whose database transaction did not commit). */
  cancelProcess(processInstanceKey: string): Promise<void>
  /** Engine REST API (searches) over the web-session login. */
  rest: EngineRest
  /** The deployed BPMN XML of a process definition. */
  processXml(processDefinitionKey: string): Promise<string>
  /** Every exported user-task record of the given instances, oldest first. */
  userTaskRecords(processInstanceKeys: string[]): Promise<UserTaskRecord[]>
  /** True when the broker answers its topology. */
  ready(): Promise<boolean>
}

interface RawUserTaskRecord {
  key: number
  intent: string
  timestamp: number
  authorizations?: Record<string, unknown>
  value: {
    processInstanceKey: number
    elementId: string
    elementInstanceKey: number
    candidateGroupsList?: string[]
    assignee?: string
    dueDate?: string
    variables?: Record<string, unknown>
  }
}

/**
 * The API's engine calls give up after this many retries (about 10 s, 2 s apart at most) and the
 * request is answered 503: an HTTP request must not wait out an engine restart holding its
 * database transaction. Create the API's client with `createCamunda(config, { retries: apiEngineRetries })`.
 */
export const apiEngineRetries = 5

/** gRPC ALREADY_EXISTS (6): a message with this `messageId` is still within its time to live. */
export function isAlreadyPublished(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  return code === 6 || /ALREADY_EXISTS/.test(String(message))
}

export function createApiEngine(config: Config, camunda: Camunda8): ApiEngine {
  const zeebe = camunda.getZeebeGrpcApiClient()
  const rest = createEngineRest(config)
  let session: Promise<string> | undefined
  return {
    async startProcess(bpmnProcessId, variables) {
      const started = await zeebe.createProcessInstance({ bpmnProcessId, variables: JSON.parse(JSON.stringify(variables)) })
      return { processInstanceKey: String(started.processInstanceKey), processDefinitionKey: String(started.processDefinitionKey) }
    },
    async publishMessage({ name, correlationKey, messageId, variables, timeToLive }) {
      try {
        await zeebe.publishMessage({ name, correlationKey, messageId, variables: JSON.parse(JSON.stringify(variables)), timeToLive })
      } catch (error) {
        // The engine already holds a message with this id: an earlier attempt of this request got
        // through before its transaction failed. The message is there once, which is what was asked.
        if (!isAlreadyPublished(error)) throw error
      }
    },
    async cancelProcess(processInstanceKey) {
      await zeebe.cancelProcessInstance(processInstanceKey)
    },
    rest,
    async processXml(processDefinitionKey) {
      // Operate imports a new deployment a second or two after the broker has it: a definition
      // just deployed answers 404 for that long, so it is asked again for up to 5 s.
      const notImportedBefore = Date.now() + 5000
      let fresh = false
      for (;;) {
        if (!session || fresh) session = engineSession(config)
        const response = await fetch(new URL(`/v1/process-definitions/${processDefinitionKey}/xml`, config.CAMUNDA_REST_ADDRESS), {
          headers: { cookie: await session, accept: 'text/xml' },
          signal: AbortSignal.timeout(10000),
        })
        if (response.status === 401 && !fresh) {
          fresh = true
          continue
        }
        if (response.status === 401) throw new Error(`process definition ${processDefinitionKey}: login refused`)
        if (response.status === 404 && Date.now() < notImportedBefore) {
          await new Promise((resolve) => setTimeout(resolve, 500))
          continue
        }
        if (!response.ok) throw new Error(`process definition ${processDefinitionKey}: engine answered ${response.status}`)
        return response.text()
      }
    },
    async userTaskRecords(processInstanceKeys) {
      if (processInstanceKeys.length === 0) return []
      const response = await fetch(`http://127.0.0.1:${ports.search}/zeebe-record_user-task_*/_search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          size: 5000,
          query: { bool: { filter: [{ terms: { 'value.processInstanceKey': processInstanceKeys.map(Number) } }] } },
          sort: [{ position: 'asc' }],
        }),
        signal: AbortSignal.timeout(10000),
      })
      if (response.status === 404) return []
      if (!response.ok) throw new Error(`engine records search answered ${response.status}`)
      const hits = ((await response.json()) as { hits: { hits: { _source: RawUserTaskRecord }[] } }).hits.hits
      return hits.map(({ _source: r }) => ({
        key: String(r.key),
        intent: r.intent,
        timestamp: r.timestamp,
        processInstanceKey: String(r.value.processInstanceKey),
        elementId: r.value.elementId,
        elementInstanceKey: String(r.value.elementInstanceKey),
        candidateGroups: r.value.candidateGroupsList ?? [],
        assignee: r.value.assignee || null,
        dueDate: r.value.dueDate || null,
        variables: r.value.variables ?? {},
        username: typeof r.authorizations?.authorized_username === 'string' ? r.authorizations.authorized_username : null,
      }))
    },
    async ready() {
      try {
        const topology = await zeebe.topology()
        return topology.brokers.length > 0
      } catch {
        return false
      }
    },
  }
}
