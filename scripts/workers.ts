/** npm run workers — runs every job worker until Ctrl-C (the engine must be running). */
import { withConfig } from '../lib/config.ts'
import { createCamunda } from '../lib/camunda.ts'
import { log } from '../lib/log.ts'
import { openDatabase, runWorkers } from '../lib/system.ts'

await withConfig(async (config) => {
  const db = await openDatabase(config)
  const camunda = createCamunda(config)
  const workers = await runWorkers(config, camunda, db)
  const stop = async (signal: string) => {
    log('info', 'workers', `${signal}: taking no new jobs, finishing ${workers.inFlight()} in hand`)
    await workers.stop()
    await camunda.getZeebeGrpcApiClient().close()
    await db.destroy()
    process.exit(0)
  }
  process.once('SIGINT', () => void stop('SIGINT'))
  process.once('SIGTERM', () => void stop('SIGTERM'))
})
