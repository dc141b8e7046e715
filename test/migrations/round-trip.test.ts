import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Knex } from 'knex'
import { migrateLatest } from '../../lib/db.ts'
import { migrations, ownTables, scratchDatabase, scratchUrl } from './support.ts'

/** Tables the order data model needs at least; later migrations may add more. */
const expectedTables = [
  'orders', 'order_events', 'customers', 'products', 'stock', 'stock_reservations', 'order_lines', 'reviews', 'quotes',
  'contracts', 'production_orders', 'purchase_requests', 'inspections', 'shipments', 'invoices', 'payments', 'returns',
  'refunds', 'notifications', 'after_sales_cases',
]

let db: Knex
scratchDatabase(test, scratchUrl('rt'), (opened) => (db = opened))

test('migrate latest, roll back all, migrate latest again', async () => {
  const first = await migrateLatest(db)
  assert.ok(first.length >= expectedTables.length, `ran ${first.length} migrations`)
  const created = await ownTables(db)
  assert.equal(expectedTables.filter((table) => !created.includes(table)), [], 'tables missing after migrate latest')

  await db.migrate.rollback(migrations, true)
  assert.equal(await ownTables(db), [], 'every table is dropped by its down')
  const leftovers = await db('pg_class as c')
    .join('pg_namespace as n', 'n.oid', 'c.relnamespace')
    .where('n.nspname', 'public')
    .whereIn('c.relkind', ['S', 'r', 'v', 'i'])
    .whereNot('c.relname', 'like', 'knex\\_%')
    .pluck('c.relname')
  assert.equal(leftovers, [], 'no sequence, index or view is left behind')
  const functions = await db('pg_proc as p').join('pg_namespace as n', 'n.oid', 'p.pronamespace').where('n.nspname', 'public').pluck('p.proname')
  assert.equal(functions, [], 'no function is left behind')

  const again = await migrateLatest(db)
  assert.equal(again, first)
  assert.equal(await ownTables(db), created)
})

test('every table and every column carries a comment', async () => {
  const tables = await db.raw<{ rows: Array<{ table: string; comment: string | null }> }>(`
    select c.relname as table, obj_description(c.oid, 'pg_class') as comment
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'r' and c.relname not like 'knex\\_%'`)
  assert.ok(tables.rows.length >= expectedTables.length)
  assert.equal(tables.rows.filter((row) => !row.comment?.trim()).map((row) => row.table), [])

  const columns = await db.raw<{ rows: Array<{ table: string; column: string }> }>(`
    select c.relname as table, a.attname as column
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    where n.nspname = 'public' and c.relkind = 'r' and c.relname not like 'knex\\_%'
      and coalesce(trim(col_description(c.oid, a.attnum)), '') = ''`)
  assert.equal(columns.rows.map((row) => `${row.table}.${row.column}`), [])
})

test('money is numeric(12,2) and timestamps carry a time zone', async () => {
  const wrong = await db('information_schema.columns')
    .where({ table_schema: 'public' })
    .andWhere((q) =>
      q
        .where((m) => m.whereIn('column_name', ['amount', 'list_price', 'unit_price']).andWhereRaw(`(data_type, numeric_precision, numeric_scale) <> ('numeric', 12, 2)`))
        .orWhere('data_type', 'timestamp without time zone'),
    )
    .select('table_name', 'column_name', 'data_type')
  assert.equal(wrong, [])
})

test.run()
