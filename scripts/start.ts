/**
 * npm start — the whole system on embedded defaults: builds the engine when needed, starts it,
 * migrates the database, deploys every resource, sets up users, groups and Tasklist filters, and
 * runs the workers and the HTTP API. Ctrl-C (SIGINT) or SIGTERM stops all of it the same way
 * (workers, then the API, then the engine), and no JVM is left behind. The npm script runs this
 * with `exec`: without it npm's `sh -c` takes npm's forwarded SIGTERM, dies, and leaves tsx, this
 * process and the engine running.
 */
import { createApiEngine } from '../api/engine.ts'
import { startApi } from '../api/server.ts'
import { checkOutsideServices } from '../lib/clients/outside-services.ts'
import { settings, withConfig } from '../lib/config.ts'
import { deployAll, deployableFiles } from '../lib/deploy.ts'
import { EngineError, startEngine, stopEngine } from '../lib/engine.ts'
import { ensureIdentity, roles } from '../lib/identity.ts'
import { log } from '../lib/log.ts'
import { seedDemoCatalogue } from '../lib/seed.ts'
import { openDatabase, runWorkers } from '../lib/system.ts'

await withConfig(async (config) => {
  checkOutsideServices(config)
  let stopping = false
  /**
   * Stops workers first (they finish or hand back what they hold), then the API, the database
   * pool and the engine; every stage is tried even when one before failed. Exits non-zero when
   * start-up failed or something would not stop (an error, or an engine that had to be killed).
   */
  const stopAll = async (reason: string, code: number) => {
    if (stopping) return
    stopping = true
    log('info', 'start', `${reason}: stopping the workers, the API and the engine`)
    let failed = false
    const stage = async (what: string, stop: () => Promise<unknown>) => {
      try {
        if ((await stop()) === false) throw new Error('it had to be killed')
      } catch (error) {
        failed = true
        log('error', 'start', `${what} did not stop cleanly: ${(error as Error).message}`)
      }
    }
    await stage('the workers', async () => workers?.stop())
    await stage('the API', async () => api?.close())
    await stage('the database pool', async () => db?.destroy())
    await stage('the engine', () => stopEngine(config))
    log(failed ? 'error' : 'info', 'start', failed ? 'stopped, but not everything cleanly' : 'everything stopped')
    process.exit(failed ? Math.max(code, 1) : code)
  }
  let workers: Awaited<ReturnType<typeof runWorkers>> | undefined
  let db: Awaited<ReturnType<typeof openDatabase>> | undefined
  let api: Awaited<ReturnType<typeof startApi>> | undefined
  process.on('SIGINT', () => void stopAll('SIGINT', 0))
  process.on('SIGTERM', () => void stopAll('SIGTERM', 0))

  try {
    await startEngine(config)
    db = await openDatabase(config)
    log('info', 'start', 'database migrated')
    await seedDemoCatalogue(db)
    const files = await deployableFiles()
    await deployAll(config, files)
    log('info', 'start', `deployed ${files.length} files`)
    const { users } = await ensureIdentity(config)
    log('info', 'start', `engine users ready: ${users.join(', ')}`)
    workers = await runWorkers(config, db)
    api = await startApi({ config, db, engine: createApiEngine(config) })
  } catch (error) {
    console.error(error instanceof EngineError ? `engine: ${error.message}` : error)
    await stopAll('start-up failed', 1)
    return
  }
  const app = `${config.ENGINE_URL}/operaton/app`
  console.log(`
order-flow is running.
  Tasklist  ${app}/tasklist/   staff: one login per role (${roles[0].id}, ${roles[3].id}, ...) / STAFF_PASSWORD
  Cockpit   ${app}/cockpit/    auditor / STAFF_PASSWORD (read-only); ${config.ENGINE_ADMIN_USER} / ENGINE_ADMIN_PASSWORD (operator)
  Admin     ${app}/admin/      ${config.ENGINE_ADMIN_USER} / ENGINE_ADMIN_PASSWORD
  API       http://${config.API_HOST}:${config.API_PORT}   (OpenAPI and Swagger UI: /docs)${
    config.API_KEYS === settings.API_KEYS.default
      ? '\n            demo keys (X-API-Key): demo-integrator-key, demo-auditor-key, demo-admin-key; set API_KEYS outside a demo'
      : ''
  }
  Ctrl-C or SIGTERM stops the workers, the API and the engine.`)
})
