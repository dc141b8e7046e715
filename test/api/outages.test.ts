/**
 * With PostgreSQL or the engine out of reach the API answers 503 (retry with the same key) within
 * seconds — never a bare 500, never a request that waits for the engine to come back — and writes nothing.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createDb } from '../../lib/db.ts'
import { tcpProxy } from '../../lib/tcp-proxy.ts'
import { demoContractOrder } from '../../lib/seed.ts'
import { config, keys, newKey, openApi } from './support.ts'

test('a POST while the database is unreachable: 503 database-unavailable, and the same key works once it is back', async () => {
  const url = new URL(config.DATABASE_URL)
  const proxy = await tcpProxy({ host: url.hostname, port: Number(url.port || 5432) })
  const db = createDb(Object.assign(new URL(config.DATABASE_URL), { hostname: '127.0.0.1', port: String(proxy.port) }).toString())
  const api = await openApi({ db })
  try {
    await proxy.close()
    const key = newKey()
    const ask = () => api.app.inject({ method: 'POST', url: '/orders/SO-2026-999999/payments', payload: { amount: 1 }, headers: { 'x-api-key': keys.integrator, 'idempotency-key': key } })
    const down = await ask()
    assert.is(down.statusCode, 503, down.body)
    assert.is(down.json().code, 'database-unavailable')
    await proxy.open()
    const back = await ask()
    assert.is(back.statusCode, 404, back.body)
    assert.is(back.json().code, 'order-not-found')
  } finally {
    await api.close()
    await db.destroy()
    await proxy.close()
  }
})

test('a POST while the engine is unreachable: 503 engine-unavailable after a few seconds, and no order written', async () => {
  const api = await openApi({ config: { ...config, ENGINE_URL: 'http://127.0.0.1:9' } })
  try {
    const before = Number((await api.db('orders').count({ n: '*' }))[0].n)
    const asked = Date.now()
    const answer = await api.app.inject({
      method: 'POST', url: '/orders', payload: { channel: 'contract', ...demoContractOrder() },
      headers: { 'x-api-key': keys.integrator, 'idempotency-key': newKey() },
    })
    assert.is(answer.statusCode, 503, answer.body)
    assert.is(answer.json().code, 'engine-unavailable')
    assert.ok(Date.now() - asked < 30000, `answered after ${Date.now() - asked} ms`)
    assert.is(Number((await api.db('orders').count({ n: '*' }))[0].n), before, 'no order row')
  } finally {
    await api.close()
  }
})

test.run()
