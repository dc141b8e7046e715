/** Shared by the integration tests: configuration, engine clients, and waiting with a reason. */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'uvu'
import { createCamunda, createEngineRest } from '../lib/camunda.ts'
import { loadConfig } from '../lib/config.ts'
import { createDb } from '../lib/db.ts'
import { enginePaths, logTail, topologyHealthy } from '../lib/engine.ts'
import { recordedUserTasks } from '../lib/engine-records.ts'
import { runWorkers } from '../lib/system.ts'
import type { RunningWorkers } from '../lib/worker-runtime.ts'

export const config = loadConfig()
export const rest = createEngineRest(config)

export function openClients() {
  return { camunda: createCamunda(config), db: createDb(config.DATABASE_URL) }
}

/** A fresh order number, so tests never see each other's orders. */
export function uniqueOrderNumber(prefix = 'CO'): string {
  return `${prefix}-2026-${String(Date.now()).slice(-7)}${Math.floor(Math.random() * 90 + 10)}`
}

/**
 * Polls `probe` until it returns a value other than undefined/false. On time-out it says what it
 * waited for; when the engine died meanwhile, it says so with the tail of the engine log.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      const value = await probe()
      if (value !== undefined && value !== false) return value
    } catch (error) {
      lastError = error
    }
    await sleep(250)
  }
  if (!(await topologyHealthy(config))) {
    throw new Error(`the engine is down while waiting for ${what}. Last lines of its log:\n${await logTail(enginePaths(config).camundaLog, 40)}`)
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`)
}

interface Page<T> {
  items: T[]
}

export interface FlowNodeInstance {
  flowNodeId: string
  state: string
  type: string
}

export interface UserTask {
  key: number
  state: string
  elementId: string
  /** Camunda 8.6 names it candidateGroup (8.8 renames it candidateGroups). */
  candidateGroup?: string[]
  formKey?: number
}

/** Engine searches (Camunda 8.6: /v2 where it answers, Operate's /v1 for process instances). */
export const search = {
  processInstanceState: async (key: string) =>
    (await rest.post<Page<{ key: number; state: string }>>('/v1/process-instances/search', { filter: { key: Number(key) } })).items[0]
      ?.state,
  flowNodes: async (processInstanceKey: string) =>
    (
      await rest.post<Page<FlowNodeInstance>>('/v2/flownode-instances/search', {
        filter: { processInstanceKey: Number(processInstanceKey) },
        sort: [{ field: 'startDate', order: 'ASC' }],
        page: { limit: 100 },
      })
    ).items,
  /**
   * User tasks of an element, from the engine's exported records: 8.6.0's Tasklist importer can
   * stop for good on a whole-second timestamp (see lib/engine-records.ts), /v2/user-tasks/search with it.
   */
  userTasks: (processInstanceKey: string, elementId: string, state: 'CREATED' | 'COMPLETED' = 'CREATED'): Promise<UserTask[]> =>
    recordedUserTasks(processInstanceKey, elementId, state),
}

/**
 * A suite that drives real instances: engine and database clients, every worker running
 * in-process for the suite, `start` for new instances, and the clean-up of whatever the suite
 * started (cancelled if still running) and opened.
 */
export function withWorkers(suite: Test) {
  const { camunda, db } = openClients()
  const zeebe = camunda.getZeebeGrpcApiClient()
  const started: string[] = []
  let workers: RunningWorkers | undefined
  suite.before(async () => {
    workers = await runWorkers(config, camunda, db)
  })
  suite.after(async () => {
    for (const key of started) await zeebe.cancelProcessInstance(key).catch(() => undefined)
    await workers?.stop(5000)
    await zeebe.close()
    await db.destroy()
  })
  return {
    camunda,
    zeebe,
    db,
    /** Starts an instance (variables without undefined fields) and returns its key. */
    async start(bpmnProcessId: string, variables: Record<string, unknown>): Promise<string> {
      const instance = await zeebe.createProcessInstance({ bpmnProcessId, variables: JSON.parse(JSON.stringify(variables)) })
      started.push(instance.processInstanceKey)
      return instance.processInstanceKey
    },
  }
}
