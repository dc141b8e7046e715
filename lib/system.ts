/** Wiring shared by `npm start`, `npm run workers` and the tests: database, repositories, workers. */
import type { Knex } from 'knex'
import type { Config } from './config.ts'
import { createDb, ensureDatabase, migrateLatest } from './db.ts'
import { createOutsideServices } from './clients/outside-services.ts'
import { createRepositories } from './repositories/index.ts'
import type { WorkerDeps } from './worker.ts'
import { loadWorkerModules, startWorkers, type RunningWorkers } from './worker-runtime.ts'

/** Creates the database when missing, migrates it, and returns the connection. */
export async function openDatabase(config: Config): Promise<Knex> {
  await ensureDatabase(config.DATABASE_URL)
  const db = createDb(config.DATABASE_URL)
  await migrateLatest(db)
  return db
}

export function workerDeps(config: Config, db: Knex): WorkerDeps {
  return { db, config, ...createRepositories(db), outside: createOutsideServices(config) }
}

/** Starts every worker in `workers/` against the engine, as the workers' engine user. */
export async function runWorkers(config: Config, db: Knex): Promise<RunningWorkers> {
  return startWorkers({ config, deps: workerDeps(config, db), modules: await loadWorkerModules() })
}
