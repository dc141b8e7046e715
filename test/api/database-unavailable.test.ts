/** With PostgreSQL out of reach the API answers 503 database-unavailable (retry with the same key), not a bare 500. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createDb } from '../../lib/db.ts'
import { tcpProxy } from '../../lib/tcp-proxy.ts'
import { config } from '../helpers.ts'
import { keys, newKey, openApi } from './support.ts'

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

test.run()
