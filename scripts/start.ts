/**
 * npm start — the whole system on embedded defaults: installs the engine when missing, starts
 * it, migrates the database, deploys every resource and runs the workers. Ctrl-C stops all of it.
 */
import { apiEngineRetries, createApiEngine } from '../api/engine.ts'
import { startApi } from '../api/server.ts'
import { createCamunda } from '../lib/camunda.ts'
import { checkOutsideServices } from '../lib/clients/outside-services.ts'
import { settings, withConfig } from '../lib/config.ts'
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
    await api?.close()
    await workers?.stop()
    await camunda?.getZeebeGrpcApiClient().close()
    await db?.destroy()
    await stopEngine(config)
    process.exit(code)
  }
  let workers: Awaited<ReturnType<typeof runWorkers>> | undefined
  let camunda: ReturnType<typeof createCamunda> | undefined
  let db: Awaited<ReturnType<typeof openDatabase>> | undefined
  let api: Awaited<ReturnType<typeof startApi>> | undefined
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
    api = await startApi({ config, db, engine: createApiEngine(config, createCamunda(config, { retries: apiEngineRetries })) })
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
  API       http://${config.API_HOST}:${config.API_PORT}   (OpenAPI and Swagger UI: /docs)${
    config.API_KEYS === settings.API_KEYS.default
      ? '\n            demo keys (X-API-Key): demo-integrator-key, demo-auditor-key, demo-admin-key; set API_KEYS outside a demo'
      : ''
  }
  Ctrl-C stops the workers and the engine.`)
})
