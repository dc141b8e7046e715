/**
 * npm start — the whole system on embedded defaults: installs the engine when missing, starts
 * it, migrates the database, deploys every resource and runs the workers. Ctrl-C stops all of it.
 */
import { createCamunda } from '../lib/camunda.ts'
import { checkOutsideServices } from '../lib/clients/outside-services.ts'
import { withConfig } from '../lib/config.ts'
import { deployAll, deployableFiles } from '../lib/deploy.ts'
import { EngineError, startEngine, stopEngine } from '../lib/engine.ts'
import { log } from '../lib/log.ts'
import { seedDemoCatalogue } from '../lib/seed.ts'
import { ensureStaffUsers, staffUsers } from '../lib/staff.ts'
import { openDatabase, runWorkers } from '../lib/system.ts'

await withConfig(async (config) => {
  checkOutsideServices(config)
  let stopping = false
  // A second Ctrl-C (tsx relays the terminal's one again) must not kill the graceful stop.
  const stopAll = async (reason: string, code: number) => {
    if (stopping) return
    stopping = true
    log('info', 'start', `${reason}: stopping workers and engine`)
    await workers?.stop()
    await camunda?.getZeebeGrpcApiClient().close()
    await db?.destroy()
    await stopEngine(config)
    process.exit(code)
  }
  let workers: Awaited<ReturnType<typeof runWorkers>> | undefined
  let camunda: ReturnType<typeof createCamunda> | undefined
  let db: Awaited<ReturnType<typeof openDatabase>> | undefined
  process.on('SIGINT', () => void stopAll('SIGINT', 0))
  process.on('SIGTERM', () => void stopAll('SIGTERM', 0))

  try {
    await startEngine(config)
    db = await openDatabase(config)
    log('info', 'start', 'database migrated')
    await seedDemoCatalogue(db)
    camunda = createCamunda(config)
    const files = await deployableFiles()
    const deployment = await deployAll(camunda, files)
    log('info', 'start', `deployed ${files.length} files`, { deploymentKey: deployment.key })
    await ensureStaffUsers(config)
    log('info', 'start', `staff logins ready: ${staffUsers.map((u) => u.userId).join(', ')}`)
    workers = await runWorkers(config, camunda, db)
  } catch (error) {
    console.error(error instanceof EngineError ? `engine: ${error.message}` : error)
    await stopAll('start-up failed', 1)
    return
  }
  console.log(`
order-flow is running.
  Tasklist  ${config.CAMUNDA_REST_ADDRESS}/tasklist   (login ${config.CAMUNDA_USERNAME} / the configured password)
  Operate   ${config.CAMUNDA_REST_ADDRESS}/operate
  Staff     one login per role (e.g. workshop-supervisor, general-manager, auditor) / STAFF_PASSWORD
  Ctrl-C stops the workers and the engine.`)
})
