/**
 * The benchmark's workers: every module in `workers/` on its `bench-<type>` job type, either real
 * (the module's own handler) or no-op (the same module — same variables fetched and checked —
 * whose handler answers at once with the outcome the real handler gave for that element in the
 * same run). The real handlers are thus the one source of what the process needs from each job.
 */
import type { Camunda8 } from '@camunda8/sdk'
import type { Knex } from 'knex'
import type { Config } from '../../lib/config.ts'
import { workerDeps } from '../../lib/system.ts'
import type { Outcome, WorkerModule } from '../../lib/worker.ts'
import { loadWorkerModules, startWorkers, type HandledJob, type RunningWorkers } from '../../lib/worker-runtime.ts'
import { prefix } from './diagrams.ts'

export type WorkerKind = 'real' | 'no-op'

/** Outcomes the real handlers gave, by job type and element: what the no-op handlers answer. */
export type RecordedOutcomes = Map<string, Outcome<string>>

const outcomeKey = (type: string, elementId: string) => `${type}@${elementId}`

export async function startBenchWorkers(options: {
  config: Config
  camunda: Camunda8
  db: Knex
  kind: WorkerKind
  streaming: boolean
  recorded: RecordedOutcomes
  onJobHandled: (job: HandledJob) => void
}): Promise<RunningWorkers> {
  const { config, camunda, db, kind, streaming, recorded, onJobHandled } = options
  const modules: WorkerModule[] = (await loadWorkerModules()).map((mod) => ({
    ...mod,
    taskType: `${prefix}${mod.taskType}`,
    createHandler: (deps) => {
      const real = mod.createHandler(deps)
      return async (job) => {
        // Handlers see their own job type and process id: history rows and look-ups read as in production.
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
  return startWorkers({
    config,
    zeebe: camunda.getZeebeGrpcApiClient(),
    deps: workerDeps(config, db),
    modules,
    streaming,
    onJobHandled,
  })
}
