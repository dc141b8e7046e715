/**
 * The API over the test database and the real engine. The engine is wrapped so a test can see
 * what the API asked of it (instances started, messages correlated); every call still goes to
 * the engine.
 */
import type { Knex } from 'knex'
import { createApiEngine, type ApiEngine, type MessageCorrelation, type StartRequest } from '../../api/engine.ts'
import { buildApi } from '../../api/server.ts'
import { loadConfig, type Config } from '../../lib/config.ts'
import { createDb } from '../../lib/db.ts'
import { createEngineRest, engineCredentials } from '../../lib/engine-rest.ts'
import { createEventRelay, type EventRelay } from '../../lib/event-relay.ts'
import { ensureIdentity } from '../../lib/identity.ts'
export { eventually } from '../helpers.ts'

export const config = loadConfig()
/** The engine as its admin (deployments, test set-up, clean-up). */
export const admin = createEngineRest(config, engineCredentials(config, 'admin'))

/** The demo keys of the default API_KEYS. */
export const keys = { integrator: 'demo-integrator-key', auditor: 'demo-auditor-key', admin: 'demo-admin-key' } as const

export interface EngineCalls {
  started: (StartRequest & { processInstanceKey: string })[]
  correlated: (MessageCorrelation & { processInstanceId: string })[]
}

let identity: Promise<unknown> | undefined
/** The engine users the API runs as (once per test process). */
export const ensureEngineUsers = () => (identity ??= ensureIdentity(config, admin))

/**
 * The API on `db` (PostgreSQL by default) and the real engine, with a record of its engine calls.
 * `relay: 'manual'` gives a relay that only runs when the test calls it.
 */
export async function openApi(options: { db?: Knex; config?: Config; relay?: 'manual' } = {}) {
  const apiConfig = options.config ?? config
  if (apiConfig.ENGINE_URL === config.ENGINE_URL) await ensureEngineUsers()
  const db = options.db ?? createDb(config.DATABASE_URL)
  const real = createApiEngine(apiConfig)
  const calls: EngineCalls = { started: [], correlated: [] }
  const engine: ApiEngine = {
    ...real,
    async startProcess(start) {
      const started = await real.startProcess(start)
      calls.started.push({ ...start, processInstanceKey: started.processInstanceKey })
      return started
    },
    async correlateMessage(message) {
      const result = await real.correlateMessage(message)
      if (result) calls.correlated.push({ ...message, processInstanceId: result.processInstanceId })
      return result
    },
  }
  const relay: EventRelay | undefined = options.relay === 'manual' ? createEventRelay(db, engine) : undefined
  const app = await buildApi({ config: apiConfig, db, engine, ...(relay ? { relay } : {}) })
  return {
    app,
    db,
    calls,
    engine,
    relay,
    async close() {
      await app.close()
      for (const started of calls.started) await admin.delete(`/process-instance/${started.processInstanceKey}?skipCustomListeners=true`).catch(() => undefined)
      if (!options.db) await db.destroy()
    },
  }
}

let counter = 0
/** A fresh Idempotency-Key. */
export const newKey = () => `test-${Date.now()}-${process.pid}-${++counter}`

/** Deploys BPMN XML documents (name → XML) as one deployment; its id. */
export async function deploy(name: string, files: Record<string, string>): Promise<string> {
  const form = new FormData()
  form.append('deployment-name', name)
  form.append('enable-duplicate-filtering', 'true')
  for (const [file, xml] of Object.entries(files)) form.append(file, new Blob([xml], { type: 'application/xml' }), file)
  return (await admin.post<{ id: string }>('/deployment/create', form)).id
}
