/**
 * The workers process of a chaos run: every worker module through the real runtime, as
 * `npm run workers` runs them, plus one fault the parent may ask for with CHAOS_KILL_AFTER=<n>:
 * the process SIGKILLs itself once the n-th handler with a side effect has returned (its rows
 * committed, the provider called) and before the runtime reports the task to the engine — the
 * moment at which a crash tempts a system into doing things twice.
 */
import { writeSync } from 'node:fs'
import { withConfig } from '../../lib/config.ts'
import { checkOutsideServices } from '../../lib/clients/outside-services.ts'
import { openDatabase, workerDeps } from '../../lib/system.ts'
import { loadWorkerModules, startWorkers } from '../../lib/worker-runtime.ts'
import type { WorkerModule } from '../../lib/worker.ts'

/** Topics whose handler writes rows or calls a provider. */
export const sideEffectTypes = new Set([
  'payment-refund', 'shipping-book', 'return-pickup', 'procurement-request', 'customer-notify', 'review-notify',
  'team-notify', 'packaging-notify', 'escalation-notify', 'invoice-issue', 'inventory-check', 'production-instruct', 'returns-record',
])

const killAfter = Number(process.env.CHAOS_KILL_AFTER ?? 0)
let effects = 0

function killable(mod: WorkerModule): WorkerModule {
  if (!killAfter || !sideEffectTypes.has(mod.taskType)) return mod
  return {
    ...mod,
    createHandler: (deps) => {
      const handler = mod.createHandler(deps)
      return async (job) => {
        const outcome = await handler(job)
        if (++effects === killAfter) {
          writeSync(1, `chaos: SIGKILL after the side effect of ${job.type} job ${job.key} (${job.elementId}), before its completion\n`)
          process.kill(process.pid, 'SIGKILL')
        }
        return outcome
      }
    },
  }
}

await withConfig(async (config) => {
  checkOutsideServices(config)
  const db = await openDatabase(config)
  const modules = (await loadWorkerModules()).map(killable)
  await startWorkers({ config, deps: workerDeps(config, db), modules })
})
