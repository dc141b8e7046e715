/**
 * What the API needs from the engine, on Operaton's REST API as the API's own engine user: start
 * instances by process key with the order number as business key, correlate messages, read the
 * runtime and the relational history, and the deployed BPMN XML. One interface, so tests can count
 * what the API asked for.
 */
import type { Config } from '../lib/config.ts'
import { createEngineRest, engineCredentials, EngineRestError, toEngineVariables, type EngineRest } from '../lib/engine-rest.ts'
import type { MessageCorrelation } from '../lib/event-relay.ts'

export interface StartedInstance {
  /** The engine's process instance id. */
  processInstanceKey: string
  /** The engine's process definition id (key:version:id). */
  processDefinitionKey: string
}

export interface StartRequest {
  /** The process definition key (the BPMN process id), e.g. contract-order. */
  processKey: string
  /** The business key: the order number (the case number for a service request without order). */
  businessKey: string
  /** Set as the flat `orderNumber` variable every instance carries (Tasklist searches by it). */
  orderNumber: string | null
  variables: Record<string, unknown>
}

export type { MessageCorrelation }

export interface ApiEngine {
  startProcess(start: StartRequest): Promise<StartedInstance>
  /** Cancels an instance (undoes a start whose database transaction did not commit). */
  cancelProcess(processInstanceKey: string): Promise<void>
  /**
   * Correlates a message to the one execution that waits for it; the instance it reached, or
   * null when nothing waits for it yet (the engine keeps no message: the caller keeps it).
   */
  correlateMessage(message: MessageCorrelation): Promise<{ processInstanceId: string } | null>
  /** Ids of the instances of `processKey` with this business key whose executions wait for the message now. */
  waitingInstances(processKey: string, message: Omit<MessageCorrelation, 'processInstanceId' | 'variables'>): Promise<string[]>
  /** The instance whose history holds process variable `name` with string value `value` (how the outbox relay finds a delivery it could not record). */
  instanceWithVariable(name: string, value: string): Promise<string | undefined>
  /** Engine REST API as the API's user (calls give up after `apiEngineTimeoutMs`). */
  rest: EngineRest
  /** The deployed BPMN XML of a process definition (by id). */
  processXml(processDefinitionId: string): Promise<string>
  /** True when the engine answers. */
  ready(): Promise<boolean>
}

/**
 * The API's engine calls give up after this long and the request is answered 503: an HTTP request
 * must not wait out an engine restart holding its database transaction.
 */
export const apiEngineTimeoutMs = 10000

/** The engine's answer when no execution (and no start event) waits for a correlated message. */
export function isNothingWaiting(error: unknown): boolean {
  return error instanceof EngineRestError && error.status === 400 && /no process definition or execution matches/i.test(error.engineMessage)
}

interface CorrelationResult {
  resultType: 'Execution' | 'ProcessDefinition'
  execution?: { processInstanceId: string } | null
  processInstance?: { id: string } | null
}

/** The API's engine adapter over `/engine-rest` as ENGINE_API_USER. */
export function createApiEngine(config: Config, rest: EngineRest = createEngineRest(config, engineCredentials(config, 'api'))): ApiEngine {
  const bounded: EngineRest = {
    ...rest,
    get: (path, options) => rest.get(path, { timeoutMs: apiEngineTimeoutMs, ...options }),
    post: (path, body, options) => rest.post(path, body, { timeoutMs: apiEngineTimeoutMs, ...options }),
    put: (path, body, options) => rest.put(path, body, { timeoutMs: apiEngineTimeoutMs, ...options }),
    delete: (path, options) => rest.delete(path, { timeoutMs: apiEngineTimeoutMs, ...options }),
  }
  return {
    rest: bounded,
    async startProcess({ processKey, businessKey, orderNumber, variables }) {
      const started = await bounded.post<{ id: string; definitionId: string }>(`/process-definition/key/${encodeURIComponent(processKey)}/start`, {
        businessKey,
        variables: toEngineVariables(orderNumber ? { ...variables, orderNumber } : variables),
      })
      return { processInstanceKey: started.id, processDefinitionKey: started.definitionId }
    },
    async cancelProcess(processInstanceKey) {
      await bounded.delete(`/process-instance/${encodeURIComponent(processInstanceKey)}?skipCustomListeners=true`)
    },
    async correlateMessage({ name, businessKey, correlationKeys, localCorrelationKeys = {}, processInstanceId, variables }) {
      try {
        const results = await bounded.post<CorrelationResult[]>('/message', {
          messageName: name,
          businessKey,
          ...(Object.keys(correlationKeys).length ? { correlationKeys: toEngineVariables(correlationKeys) } : {}),
          ...(Object.keys(localCorrelationKeys).length ? { localCorrelationKeys: toEngineVariables(localCorrelationKeys) } : {}),
          ...(processInstanceId ? { processInstanceId } : {}),
          processVariables: toEngineVariables(variables),
          resultEnabled: true,
        })
        const result = results[0]
        const instance = result?.execution?.processInstanceId ?? result?.processInstance?.id
        if (!instance) throw new Error(`the engine correlated ${name} but named no instance`)
        return { processInstanceId: instance }
      } catch (error) {
        if (isNothingWaiting(error)) return null
        throw error
      }
    },
    async waitingInstances(processKey, { name, businessKey, correlationKeys, localCorrelationKeys = {} }) {
      const equals = (values: Record<string, string>) => Object.entries(values).map(([variable, value]) => ({ name: variable, operator: 'eq', value }))
      const executions = await bounded.post<{ processInstanceId: string }[]>('/execution', {
        processDefinitionKey: processKey,
        businessKey,
        messageEventSubscriptionName: name,
        ...(Object.keys(correlationKeys).length ? { processVariables: equals(correlationKeys) } : {}),
        ...(Object.keys(localCorrelationKeys).length ? { variables: equals(localCorrelationKeys) } : {}),
      })
      return [...new Set(executions.map((e) => e.processInstanceId))]
    },
    async instanceWithVariable(name, value) {
      const found = await bounded.post<{ processInstanceId: string }[]>('/history/variable-instance?maxResults=1', { variableName: name, variableValue: value })
      return found[0]?.processInstanceId
    },
    async processXml(processDefinitionId) {
      const { bpmn20Xml } = await bounded.get<{ bpmn20Xml: string }>(`/process-definition/${encodeURIComponent(processDefinitionId)}/xml`)
      return bpmn20Xml
    },
    async ready() {
      try {
        await bounded.get('/version', { timeoutMs: 3000 })
        return true
      } catch {
        return false
      }
    },
  }
}
