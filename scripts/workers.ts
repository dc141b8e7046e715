/** npm run workers — runs every job worker until Ctrl-C (the engine must be running). */
import { withConfig } from '../lib/config.ts'
import { createCamunda } from '../lib/camunda.ts'
import { checkOutsideServices } from '../lib/clients/outside-services.ts'
import { log } from '../lib/log.ts'
import { openDatabase, runWorkers } from '../lib/system.ts'

await withConfig(async (config) => {
  checkOutsideServices(config)
  const db = await openDatabase(config)
  const camunda = createCamunda(config)
  const workers = await runWorkers(config, camunda, db)
  let stopping = false
  // A second Ctrl-C (tsx relays the terminal's one again) must not kill the graceful stop.
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    log('info', 'workers', `${signal}: taking no new jobs, finishing ${workers.inFlight()} in hand`)
    await workers.stop()
    await camunda.getZeebeGrpcApiClient().close()
    await db.destroy()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
})
