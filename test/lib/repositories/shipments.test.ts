import { randomInt } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadConfig } from '../../../lib/config.ts'
import { createDb } from '../../../lib/db.ts'
import { createRepositories } from '../../../lib/repositories/index.ts'

// Runs against the migrated database of DATABASE_URL (npm test makes one of its own).
const db = createDb(loadConfig().DATABASE_URL)
const repos = createRepositories(db)

async function newOrder() {
  const orderNumber = `CO-2026-${Date.now()}${randomInt(1000, 10000)}`
  await repos.orders.upsert({
    order_number: orderNumber, channel: 'contract', customer_name: 'Guangzhou Telecom Works', priority: 'normal', status: 'stock-reserved', data: {}, process_instance_key: null,
  })
  return orderNumber
}

const booking = (orderNumber: string, key: string, trackingNumber = 'SF1234567890') => ({
  order_number: orderNumber,
  carrier: 'SF Express',
  tracking_number: trackingNumber,
  shipping_method: 'road',
  delivery_address: { city: 'Guangzhou', street: 'Tianhe Road 1' },
  expected_delivery_date: '2026-12-03',
  idempotency_key: key,
})

const step = (orderNumber: string, jobKey: string) => ({
  order_number: orderNumber, job_key: jobKey, step: 'shipping-book', actor: 'worker:shipping-book', element_id: 'BOOK_CARRIER', clause: 'D2 三.2(2)',
})

test.after(() => db.destroy())

test('a booking under a known idempotency key returns the first booking', async () => {
  const orderNumber = await newOrder()
  const key = `shipping-book:${orderNumber}-1`
  const first = await repos.shipments.insertOrGet(booking(orderNumber, key))
  const again = await repos.shipments.insertOrGet(booking(orderNumber, key, 'SF0000000000'))
  assert.ok(first.created)
  assert.not.ok(again.created)
  assert.equal(again.row, first.row)
  assert.is(again.row.tracking_number, 'SF1234567890')
  assert.is(first.row.expected_delivery_date, '2026-12-03', 'a date column reads back as YYYY-MM-DD')
  assert.equal(first.row.delivery_address, { city: 'Guangzhou', street: 'Tianhe Road 1' })
  assert.equal(await repos.shipments.findByIdempotencyKey(key), first.row)
  assert.is((await repos.shipments.listForOrder(orderNumber)).length, 1)
})

test('the booking and its history row commit together, and roll back together', async () => {
  const orderNumber = await newOrder()
  const key = `shipping-book:${orderNumber}-2`
  try {
    await repos.events.once(step(orderNumber, `job-${orderNumber}`), async (trx) => {
      await repos.shipments.insertOrGet(booking(orderNumber, key), trx)
      throw new Error('connection lost before the history row')
    })
    assert.unreachable('the step succeeded')
  } catch (error) {
    assert.match((error as Error).message, 'connection lost')
  }
  assert.equal(await repos.shipments.listForOrder(orderNumber), [])
  assert.equal(await repos.events.listForOrder(orderNumber), [])

  const result = await repos.events.once(step(orderNumber, `job-${orderNumber}`), async (trx) => {
    const { row } = await repos.shipments.insertOrGet(booking(orderNumber, key), trx)
    return { outcome: 'booked', result: { booking: { carrier: row.carrier, trackingNumber: row.tracking_number } } }
  })
  assert.equal(result, { booking: { carrier: 'SF Express', trackingNumber: 'SF1234567890' } })
  assert.is((await repos.shipments.listForOrder(orderNumber)).length, 1)
  assert.equal((await repos.events.listForOrder(orderNumber)).map((event) => event.outcome), ['booked'])
})

test('status changes record when the goods left and arrived', async () => {
  const orderNumber = await newOrder()
  const { row } = await repos.shipments.insertOrGet(booking(orderNumber, `shipping-book:${orderNumber}-3`))
  assert.is(row.status, 'booked')
  const deliveredAt = new Date('2026-12-02T08:30:00Z')
  await repos.shipments.setStatus(row.shipment_number, 'dispatched', { dispatched_at: new Date('2026-11-30T02:00:00Z') })
  const delivered = await repos.shipments.setStatus(row.shipment_number, 'delivered', { delivered_at: deliveredAt })
  assert.is(delivered?.status, 'delivered')
  assert.is(delivered?.delivered_at?.toISOString(), deliveredAt.toISOString())
  try {
    await repos.shipments.setStatus(row.shipment_number, 'lost' as never)
    assert.unreachable('status accepted')
  } catch (error) {
    assert.match((error as Error).message, 'shipments_status_check')
  }
})

test.run()
