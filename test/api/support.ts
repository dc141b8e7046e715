/**
 * The API over the test database and the real engine. The engine is wrapped so a test can see
 * what the API asked of it (instances started, messages published); every call still goes to
 * the engine.
 */
import type { Knex } from 'knex'
import { createCamunda, createEngineRest } from '../../lib/camunda.ts'
import { createDb } from '../../lib/db.ts'
import type { Config } from '../../lib/config.ts'
import { apiEngineRetries, createApiEngine, type ApiEngine, type Message } from '../../api/engine.ts'
import { buildApi } from '../../api/server.ts'
import { config } from '../helpers.ts'

/** The demo keys of the default API_KEYS. */
export const keys = { integrator: 'demo-integrator-key', auditor: 'demo-auditor-key', admin: 'demo-admin-key' } as const

export interface EngineCalls {
  started: { bpmnProcessId: string; processInstanceKey: string }[]
  published: Message[]
}

/** The API on `db` (PostgreSQL by default) and the real engine, with a record of its engine calls. */
export async function openApi(options: { db?: Knex; config?: Config } = {}) {
  const clients = { camunda: createCamunda(options.config ?? config, { retries: apiEngineRetries }) }
  const db = options.db ?? createDb(config.DATABASE_URL)
  const real = createApiEngine(options.config ?? config, clients.camunda)
  const calls: EngineCalls = { started: [], published: [] }
  const engine: ApiEngine = {
    ...real,
    async startProcess(bpmnProcessId, variables) {
      const started = await real.startProcess(bpmnProcessId, variables)
      calls.started.push({ bpmnProcessId, processInstanceKey: started.processInstanceKey })
      return started
    },
    async publishMessage(message) {
      await real.publishMessage(message)
      calls.published.push(message)
    },
  }
  const app = await buildApi({ config: options.config ?? config, db, engine })
  return {
    app,
    db,
    calls,
    camunda: clients.camunda,
    rest: createEngineRest(config),
    async close() {
      await app.close()
      for (const started of calls.started) {
        await clients.camunda.getZeebeGrpcApiClient().cancelProcessInstance(started.processInstanceKey).catch(() => undefined)
      }
      await clients.camunda.getZeebeGrpcApiClient().close()
      if (!options.db) await db.destroy()
    },
  }
}

let counter = 0
/** A fresh Idempotency-Key. */
export const newKey = () => `test-${Date.now()}-${process.pid}-${++counter}`
