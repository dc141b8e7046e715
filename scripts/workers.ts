/** npm run workers — runs every worker module of workers/ as external-task workers until Ctrl-C (the engine must be running). */
import { withConfig } from '../lib/config.ts'
import { checkOutsideServices } from '../lib/clients/outside-services.ts'
import { log } from '../lib/log.ts'
import { openDatabase, workerDeps } from '../lib/system.ts'
import { loadWorkerModules, startWorkers } from '../lib/worker-runtime.ts'

await withConfig(async (config) => {
  checkOutsideServices(config)
  const db = await openDatabase(config)
  const workers = await startWorkers({ config, deps: workerDeps(config, db), modules: await loadWorkerModules() })
  let stopping = false
  // A second Ctrl-C (tsx relays the terminal's one again) must not kill the graceful stop.
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    log('info', 'workers', `${signal}: taking no new jobs, finishing ${workers.inFlight()} in hand`, { workerId: workers.workerId })
    await workers.stop()
    await db.destroy()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
})
