import { randomInt } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadConfig } from '../../../lib/config.ts'
import { createDb } from '../../../lib/db.ts'
import { createRepositories } from '../../../lib/repositories/index.ts'
import { refundIdempotencyKey } from '../../../lib/repositories/refunds.ts'

// Runs against the migrated database of DATABASE_URL (npm test makes one of its own). Rows stay:
// order_events is append-only, so an order with history cannot be deleted.
const db = createDb(loadConfig().DATABASE_URL)
const repos = createRepositories(db)

async function newOrder(prefix = 'SO') {
  const orderNumber = `${prefix}-2026-${Date.now()}${randomInt(1000, 10000)}`
  await repos.orders.upsert({
    order_number: orderNumber, channel: 'shop', customer_name: 'Zhang Wei', priority: 'normal', status: 'received', data: {}, process_instance_key: null,
  })
  return orderNumber
}

const stepOf = (orderNumber: string, jobKey: string) => ({
  order_number: orderNumber, job_key: jobKey, step: 'payment-refund', actor: 'worker:payment-refund', element_id: 'REFUND_PAYMENT', clause: 'D3 6',
})

test.after(() => db.destroy())

test('a second refund for the same cancellation returns the first, unchanged', async () => {
  const orderNumber = await newOrder()
  const key = refundIdempotencyKey({ orderNumber })
  const first = await repos.refunds.insertOrGet({ order_number: orderNumber, amount: '499.90', idempotency_key: key })
  const again = await repos.refunds.insertOrGet({ order_number: orderNumber, amount: '10.00', idempotency_key: key })
  assert.ok(first.created)
  assert.not.ok(again.created)
  assert.equal(again.row, first.row)
  assert.is(again.row.amount, '499.90', 'money comes back as the exact decimal string')
  assert.match(first.row.refund_number, /^RF-\d{4}-\d{6}$/)
  assert.is((await repos.refunds.listForOrder(orderNumber)).length, 1)
})

test('two deliveries racing for one return make one refund', async () => {
  const orderNumber = await newOrder()
  const { row: returned } = await repos.returns.insertOrGet({ order_number: orderNumber, reason: 'Wrong colour', items: [{ sku: 'PP-24C6', quantity: 2 }] })
  const key = refundIdempotencyKey({ orderNumber, returnNumber: returned.return_number })
  assert.is(key, `return:${returned.return_number}`)
  const [a, b] = await Promise.all(
    ['520.00', '520.00'].map((amount) =>
      db.transaction((trx) => repos.refunds.insertOrGet({ order_number: orderNumber, return_number: returned.return_number, amount, idempotency_key: key }, trx)),
    ),
  )
  assert.is([a.created, b.created].filter(Boolean).length, 1)
  assert.is(a.row.refund_number, b.row.refund_number)
  assert.is((await repos.refunds.listForOrder(orderNumber)).length, 1)
})

test('the refund and its history row commit together; a redelivered job refunds nothing twice', async () => {
  const orderNumber = await newOrder()
  const key = refundIdempotencyKey({ orderNumber })
  let worked = 0
  const work = async (trx: Parameters<Parameters<typeof repos.events.once>[1]>[0]) => {
    worked += 1
    const { row } = await repos.refunds.insertOrGet({ order_number: orderNumber, amount: '120.00', idempotency_key: key }, trx)
    await repos.refunds.markSucceeded(row.refund_number, 'PSP-1', trx)
    return { outcome: 'refunded', result: { refundNumber: row.refund_number } }
  }
  const first = await repos.events.once(stepOf(orderNumber, `job-${orderNumber}`), work)
  const again = await repos.events.once(stepOf(orderNumber, `job-${orderNumber}`), work)
  assert.equal(again, first)
  assert.is(worked, 1)
  const [refund] = await repos.refunds.listForOrder(orderNumber)
  assert.is(refund.status, 'succeeded')
  assert.is(refund.provider_reference, 'PSP-1')
  const events = await repos.events.listForOrder(orderNumber)
  assert.equal(events.map((event) => [event.step, event.outcome]), [['payment-refund', 'refunded']])
})

test('a step that fails after writing the refund leaves neither refund nor history row', async () => {
  const orderNumber = await newOrder()
  const key = refundIdempotencyKey({ orderNumber })
  try {
    await repos.events.once(stepOf(orderNumber, `job-${orderNumber}`), async (trx) => {
      await repos.refunds.insertOrGet({ order_number: orderNumber, amount: '120.00', idempotency_key: key }, trx)
      throw new Error('payment provider unreachable')
    })
    assert.unreachable('the step succeeded')
  } catch (error) {
    assert.is((error as Error).message, 'payment provider unreachable')
  }
  assert.equal(await repos.refunds.listForOrder(orderNumber), [])
  assert.equal(await repos.events.listForOrder(orderNumber), [])
  assert.is(await repos.refunds.findByIdempotencyKey(key), undefined)
})

test('a refund status outside the enumeration is refused by the database', async () => {
  const orderNumber = await newOrder()
  const { row } = await repos.refunds.insertOrGet({ order_number: orderNumber, amount: '1.00', idempotency_key: refundIdempotencyKey({ orderNumber }) })
  try {
    await db('refunds').where({ refund_number: row.refund_number }).update({ status: 'maybe' })
    assert.unreachable('status accepted')
  } catch (error) {
    assert.match((error as Error).message, 'refunds_status_check')
  }
})

test.run()
