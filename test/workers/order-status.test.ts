/**
 * order-status on the migrated database of DATABASE_URL: the status of a message end event is
 * recorded with its history row, once per task, and never moves an order backwards.
 */
import { randomInt } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadConfig } from '../../lib/config.ts'
import { createDb } from '../../lib/db.ts'
import { advanceStatus } from '../../lib/order-status.ts'
import { createRepositories } from '../../lib/repositories/index.ts'
import type { JobContext } from '../../lib/worker.ts'
import { createHandler, type Variables } from '../../workers/order-status.ts'

const db = createDb(loadConfig().DATABASE_URL)
const repos = createRepositories(db)
const handler = createHandler(repos)

test.after(async () => {
  await db.destroy()
})

async function newOrder(status = 'received'): Promise<string> {
  const orderNumber = `CO-2026-${Date.now()}${randomInt(1000, 10000)}`
  await db('orders').insert({ order_number: orderNumber, channel: 'contract', status, data: '{}' })
  return orderNumber
}

const job = (orderNumber: string, status: string | undefined, key: string, variables: Partial<Variables> = {}): JobContext<Variables> => ({
  key, type: 'order-status', processInstanceKey: `pi-${orderNumber}`, bpmnProcessId: 'contract-order', elementId: 'ORDER_DECLINED',
  elementInstanceKey: `ai-${key}`, retries: 3, customHeaders: status ? { status, clause: 'D2 一.二 1' } : {}, variables: { order: { orderNumber }, ...variables },
})

const state = async (orderNumber: string) => db('orders').where({ order_number: orderNumber }).first('status', 'classification', 'review_outcome')

test('a declined order: status, review outcome and classification with one history row; a redelivery changes nothing', async () => {
  const orderNumber = await newOrder('validated')
  const first = await handler(job(orderNumber, 'declined', `${orderNumber}-1`, { orderClassification: { classification: 'non-regular' } }))
  assert.equal(first, { kind: 'complete', variables: { orderStatus: { status: 'declined', previous: 'validated', moved: true } } })
  const again = await handler(job(orderNumber, 'declined', `${orderNumber}-1`, { orderClassification: { classification: 'non-regular' } }))
  assert.equal(again, first)
  assert.equal(await state(orderNumber), { status: 'declined', classification: 'non-regular', review_outcome: 'declined' })
  const rows = await db('order_events').where({ order_number: orderNumber, step: 'order-status' })
  assert.equal(rows.map((r) => [r.outcome, r.clause, r.element_id]), [['declined', 'D2 一.二 1', 'ORDER_DECLINED']])
})

test('never backwards: a late delivered after completed is kept out, and says so', async () => {
  const orderNumber = await newOrder('completed')
  const late = await handler(job(orderNumber, 'delivered', `${orderNumber}-2`))
  assert.equal(late, { kind: 'complete', variables: { orderStatus: { status: 'completed', previous: 'completed', moved: false } } })
  assert.is((await state(orderNumber)).status, 'completed')
  assert.equal((await db('order_events').where({ order_number: orderNumber, step: 'order-status' })).map((r) => r.outcome), ['kept-completed'])
})

test('delivered marks the order\'s outbound shipments delivered, not its return pickups', async () => {
  const orderNumber = await newOrder('shipped')
  await db('shipments').insert([
    { order_number: orderNumber, carrier: 'sf', status: 'booked', idempotency_key: `shipping-book:${orderNumber}` },
    { order_number: orderNumber, carrier: 'sf', status: 'booked', idempotency_key: `return-pickup:${orderNumber}` },
  ])
  await handler({ ...job(orderNumber, 'delivered', `${orderNumber}-3`), bpmnProcessId: 'shipment', elementId: 'SHIPMENT_DELIVERED', variables: { orderNumber } })
  assert.is((await state(orderNumber)).status, 'delivered')
  const shipments = await db('shipments').where({ order_number: orderNumber }).orderBy('idempotency_key')
  assert.equal(shipments.map((s) => [s.idempotency_key.split(':')[0], s.status, Boolean(s.delivered_at)]), [['return-pickup', 'booked', false], ['shipping-book', 'delivered', true]])
})

test('ranks: one rank replaces (incomplete ↔ validated), a lower one is ignored, a final one stays', async () => {
  const orderNumber = await newOrder('incomplete')
  assert.equal(await db.transaction((trx) => advanceStatus(trx, orderNumber, 'validated')), { from: 'incomplete', to: 'validated', moved: true })
  assert.equal(await db.transaction((trx) => advanceStatus(trx, orderNumber, 'incomplete')), { from: 'validated', to: 'incomplete', moved: true })
  await db.transaction((trx) => advanceStatus(trx, orderNumber, 'cancelled'))
  assert.equal(await db.transaction((trx) => advanceStatus(trx, orderNumber, 'quoted', { classification: 'regular' })), { from: 'cancelled', to: 'cancelled', moved: false })
  assert.equal(await state(orderNumber), { status: 'cancelled', classification: 'regular', review_outcome: null }, 'the decision is recorded even when the status stays')
})

test('a missing or unknown status property is a technical fault naming the element', async () => {
  const orderNumber = await newOrder()
  for (const status of [undefined, 'shipped-ish']) {
    const error = await handler(job(orderNumber, status, `${orderNumber}-${status}`)).then(() => undefined, (failure: Error) => failure)
    assert.match(error?.message ?? '', /contract-order ORDER_DECLINED has no valid status property/)
  }
})

test.run()
