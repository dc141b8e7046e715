/**
 * Every migration on the embedded PGlite database (the default when DATABASE_URL is unset): up,
 * all the way down, up again, and the append-only trigger of order_events holds there too.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Knex } from 'knex'
import { migrateLatest } from '../../lib/db.ts'
import { migrations, ownTables, scratchDatabase } from './support.ts'

const url = `pglite:${mkdtempSync(path.join(tmpdir(), 'order-flow-migrations-'))}`
let db: Knex
scratchDatabase(test, url, (opened) => (db = opened))

test('migrate latest, roll back all, migrate latest again on PGlite', async () => {
  const first = await migrateLatest(db)
  assert.ok(first.length >= 22, `ran ${first.length} migrations`)
  const created = await ownTables(db)
  for (const table of ['orders', 'order_events', 'payments', 'idempotency_keys']) assert.ok(created.includes(table), table)
  await db.migrate.rollback(migrations, true)
  assert.equal(await ownTables(db), [])
  assert.equal(await migrateLatest(db), first)
  assert.equal(await ownTables(db), created)
})

test('order_events is append-only on PGlite as on PostgreSQL', async () => {
  await db('orders').insert({ order_number: 'CO-2026-000001', channel: 'contract', status: 'received', data: '{}' })
  await db('order_events').insert({ order_number: 'CO-2026-000001', step: 'order-received', actor: 'api:test', outcome: 'received' })
  const [row] = await db('order_events')
  assert.is(row.id, 1, 'bigint ids come back as numbers')
  for (const change of [() => db('order_events').update({ outcome: 'changed' }), () => db('order_events').delete()]) {
    try {
      await change()
      assert.unreachable('the trigger let the change through')
    } catch (error) {
      assert.match((error as Error).message, /order_events is append-only/)
    }
  }
  assert.is((await db('order_events').first()).outcome, 'received')
})

test.run()
