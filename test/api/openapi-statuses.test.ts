/**
 * Every status the API answers is in its OpenAPI document. Each documented operation is asked the
 * generic wrong things — no key, each role's key, an unknown, over-long or badly encoded order
 * number, an empty, malformed, oversized or non-JSON body — on the real database and engine, and
 * again with the database out of reach. Each answer's status must be documented for that
 * operation, and each error must leave as problem+json.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createDb } from '../../lib/db.ts'
import { tcpProxy } from '../../lib/tcp-proxy.ts'
import { config, keys, newKey, openApi } from './support.ts'

type Api = Awaited<ReturnType<typeof openApi>>
interface Operation { method: string; path: string; documented: string[] }
interface Probe { name: string; url: string; key?: string; payload?: string; contentType?: string }

async function operations(api: Api): Promise<Operation[]> {
  const document = (await api.app.inject({ url: '/docs/json' })).json()
  return Object.entries(document.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)
    .filter(([path]) => !path.startsWith('/docs'))
    .flatMap(([path, operations]) => Object.entries(operations).map(([method, operation]) => ({ method: method.toUpperCase(), path, documented: Object.keys(operation.responses) })))
}

/** The generic wrong (and a few right) requests for one operation. */
function probes(operation: Operation): Probe[] {
  const at = (orderNumber: string) => operation.path.replace('{orderNumber}', orderNumber)
  const urls = operation.path.includes('{orderNumber}')
    ? [at('CO-2026-99999999'), at(`CO-${'9'.repeat(120)}`), at('CO-2026-%E0%A4%A'), at("CO-2026-1'%20OR%20'1'='1")]
    : [operation.path, `${operation.path}?unknown=1`]
  const list: Probe[] = []
  for (const url of urls) {
    for (const key of [undefined, keys.integrator, keys.auditor, keys.admin]) {
      if (operation.method !== 'POST') {
        list.push({ name: `${url} as ${key ?? 'nobody'}`, url, key })
        continue
      }
      for (const [what, payload, contentType] of [
        ['{}', '{}', 'application/json'],
        ['malformed JSON', '{"amount": ', 'application/json'],
        ['an empty body', '', 'application/json'],
        ['text', 'amount=1', 'text/plain'],
        ['an oversized body', JSON.stringify({ text: 'x'.repeat(config.API_BODY_LIMIT_BYTES) }), 'application/json'],
      ]) list.push({ name: `${url} as ${key ?? 'nobody'} with ${what}`, url, key, payload, contentType })
    }
  }
  return list
}

async function walk(api: Api): Promise<Set<number>> {
  const seen = new Set<number>()
  for (const operation of await operations(api)) {
    for (const probe of probes(operation)) {
      const headers: Record<string, string> = { 'idempotency-key': newKey() }
      if (probe.key) headers['x-api-key'] = probe.key
      if (probe.contentType) headers['content-type'] = probe.contentType
      const response = await api.app.inject({ method: operation.method as 'GET' | 'POST', url: probe.url, headers, payload: probe.payload })
      const where = `${operation.method} ${operation.path}: ${probe.name} → ${response.statusCode} ${response.body.slice(0, 200)}`
      assert.ok(operation.documented.includes(String(response.statusCode)), `${where} is not documented (${operation.documented.join(', ')})`)
      if (response.statusCode >= 400 && operation.path !== '/ready') {
        assert.match(String(response.headers['content-type']), /^application\/problem\+json/, where)
        assert.is(response.json().status, response.statusCode, where)
      }
      seen.add(response.statusCode)
    }
  }
  return seen
}

test('each status an operation answers to the generic wrong requests is in its OpenAPI document', async () => {
  const api = await openApi()
  try {
    const seen = await walk(api)
    for (const status of [200, 400, 401, 403, 404, 413, 414, 415]) assert.ok(seen.has(status), `the walk met ${status} (met ${[...seen].sort().join(', ')})`)
  } finally {
    await api.close()
  }
})

test('with the database out of reach, each status is still documented (503 database-unavailable)', async () => {
  const url = new URL(config.DATABASE_URL)
  const proxy = await tcpProxy({ host: url.hostname, port: Number(url.port || 5432) })
  const db = createDb(Object.assign(new URL(config.DATABASE_URL), { hostname: '127.0.0.1', port: String(proxy.port) }).toString())
  const api = await openApi({ db, relay: 'manual' })
  try {
    await proxy.close()
    const seen = await walk(api)
    assert.ok(seen.has(503), `the walk met 503 (met ${[...seen].sort().join(', ')})`)
  } finally {
    await api.close()
    await db.destroy()
    await proxy.close()
  }
})

test.run()
