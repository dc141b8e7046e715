/**
 * The benchmark's workers: every module in `workers/` on its `bench-<topic>` topic, either real
 * (the module's own handler) or no-op (the same module — same variables fetched and checked —
 * whose handler answers at once with the outcome the real handler gave for that element in the
 * same run). The real handlers are thus the one source of what the process needs from each task.
 *
 * Polling: `long` is the runtime as `npm start` runs it (fetchAndLock held by the engine up to
 * WORKER_POLL_INTERVAL_MS, answered as soon as a task exists); `short` asks without a hold and
 * waits `shortPollMs` after an empty answer — the classic interval-polling client.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Knex } from 'knex'
import type { Config } from '../../lib/config.ts'
import { createEngineRest, engineCredentials, type EngineRest } from '../../lib/engine-rest.ts'
import { workerDeps } from '../../lib/system.ts'
import type { Outcome, WorkerModule } from '../../lib/worker.ts'
import { loadWorkerModules, startWorkers, type HandledJob, type RunningWorkers } from '../../lib/worker-runtime.ts'
import { prefix } from './diagrams.ts'

export type WorkerKind = 'real' | 'no-op'
export type Polling = 'long' | 'short'

/** Outcomes the real handlers gave, by topic and element: what the no-op handlers answer. */
export type RecordedOutcomes = Map<string, Outcome<string>>

const outcomeKey = (type: string, elementId: string) => `${type}@${elementId}`

/** The worker user's client whose fetchAndLock does not wait on the engine and pauses `everyMs` after an empty answer. */
export function shortPolling(engine: EngineRest, everyMs: number): EngineRest {
  return {
    ...engine,
    post: async <T>(path: string, body?: unknown, options?: Parameters<EngineRest['post']>[2]) => {
      if (path !== '/external-task/fetchAndLock') return engine.post<T>(path, body, options)
      const tasks = await engine.post<unknown[]>(path, { ...(body as object), asyncResponseTimeout: undefined }, options)
      if (tasks.length === 0) await sleep(everyMs)
      return tasks as T
    },
  }
}

export async function startBenchWorkers(options: {
  config: Config
  db: Knex
  kind: WorkerKind
  polling: Polling
  shortPollMs: number
  recorded: RecordedOutcomes
  onJobHandled: (job: HandledJob) => void
}): Promise<RunningWorkers> {
  const { config, db, kind, polling, shortPollMs, recorded, onJobHandled } = options
  const modules: WorkerModule[] = (await loadWorkerModules()).map((mod) => ({
    ...mod,
    taskType: `${prefix}${mod.taskType}`,
    createHandler: (deps) => {
      const real = mod.createHandler(deps)
      return async (job) => {
        // Handlers see their own topic and process id: history rows and look-ups read as in production.
        const context = { ...job, type: mod.taskType, bpmnProcessId: job.bpmnProcessId.replace(prefix, '') }
        if (kind === 'real') {
          const outcome = await real(context)
          recorded.set(outcomeKey(mod.taskType, job.elementId), outcome)
          return outcome
        }
        const outcome = recorded.get(outcomeKey(mod.taskType, job.elementId))
        if (!outcome) throw new Error(`no-op ${mod.taskType} at ${job.elementId}: no real outcome recorded in this run to answer with`)
        return outcome
      }
    },
  }))
  // Long polling is the runtime's own (one long poll per engine node); short polling asks node 1.
  return startWorkers({
    config,
    deps: workerDeps(config, db),
    modules,
    engine: polling === 'long' ? undefined : shortPolling(createEngineRest(config, engineCredentials(config, 'worker')), shortPollMs),
    onJobHandled,
  })
}
