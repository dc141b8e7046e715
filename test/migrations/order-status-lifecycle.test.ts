/**
 * Migration 20261204180000_order_status_lifecycle changes existing data: orders written before it
 * carry statuses outside the documented set, which its up maps (from the order's shipments, else
 * back to received) before the CHECK constraint holds; its down drops the constraint and the
 * review outcome again.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Knex } from 'knex'
import { orderStatuses } from '../../lib/order-status.ts'
import { migrations, scratchDatabase, scratchUrl } from './support.ts'

const lifecycle = '20261204180000_order_status_lifecycle.ts'

let db: Knex
scratchDatabase(test, scratchUrl('st'), (opened) => (db = opened))

const order = (number: string, status: string) => ({ order_number: number, channel: 'shop', status, data: '{}' })
const shipment = (number: string, status: string) => ({ order_number: number, carrier: 'sf', status, idempotency_key: `shipping-book:${number}` })

/** The query fails with a message matching `pattern`. */
async function refused(query: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await query.then(() => undefined, (failure: Error) => failure)
  assert.ok(error, `expected a refusal matching ${pattern}`)
  assert.match(error.message, pattern)
}

test('up maps every status outside the set, keeps those inside; the constraint then holds; down undoes it', async () => {
  // Everything before the lifecycle migration.
  const [, planned] = await db.migrate.list(migrations) as [unknown, { file: string }[]]
  for (const { file } of planned.filter(({ file }) => file < lifecycle)) await db.migrate.up({ ...migrations, name: file })
  await db('orders').insert([
    order('SO-2026-0001', 'stock-reserved'), order('SO-2026-0002', 'classified'), order('SO-2026-0003', 'paid'),
    order('SO-2026-0004', 'ready-to-ship'), order('CO-2026-0005', 'invoiced'),
  ])
  await db('shipments').insert([shipment('SO-2026-0003', 'delivered'), shipment('SO-2026-0004', 'dispatched')])

  await db.migrate.up({ ...migrations, name: lifecycle })
  const statuses = Object.fromEntries((await db('orders').select('order_number', 'status')).map((r) => [r.order_number, r.status]))
  assert.equal(statuses, {
    'SO-2026-0001': 'stock-reserved', 'SO-2026-0002': 'received', 'SO-2026-0003': 'delivered', 'SO-2026-0004': 'shipped', 'CO-2026-0005': 'invoiced',
  })
  for (const status of Object.keys(orderStatuses)) {
    await db('orders').where({ order_number: 'SO-2026-0001' }).update({ status })
  }
  await refused(db('orders').where({ order_number: 'SO-2026-0001' }).update({ status: 'planning' }), /orders_status_check/)
  await refused(db('orders').where({ order_number: 'SO-2026-0001' }).update({ review_outcome: 'maybe' }), /orders_review_outcome_check/)

  await db.migrate.down({ ...migrations, name: lifecycle })
  await db('orders').where({ order_number: 'SO-2026-0001' }).update({ status: 'planning' })
  assert.not.ok(await db.schema.hasColumn('orders', 'review_outcome'))
})

test.run()
