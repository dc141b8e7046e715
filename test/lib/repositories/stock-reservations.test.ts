import { randomInt } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadConfig } from '../../../lib/config.ts'
import { createDb } from '../../../lib/db.ts'
import { createRepositories } from '../../../lib/repositories/index.ts'

// Runs against the migrated database of DATABASE_URL; uses a product of its own so the demo
// catalogue's stock is not disturbed.
const db = createDb(loadConfig().DATABASE_URL)
const repos = createRepositories(db)
const sku = `TEST-ODF-${Date.now()}${randomInt(1000, 10000)}`

async function newOrder() {
  const orderNumber = `CO-2026-${Date.now()}${randomInt(1000, 10000)}`
  await repos.orders.upsert({ order_number: orderNumber, channel: 'contract', customer_name: 'Guangzhou Telecom Works', priority: 'normal', status: 'validated', data: {}, process_instance_key: null })
  return orderNumber
}

test.before(async () => {
  await repos.products.upsert({
    sku, name: 'Test frame', model: sku, regular: true, complete_set: false, technical_files_on_record: true, list_price: '100.00', special_modification_surcharge_pct: '15.00', unit: 'pcs',
  })
  await repos.stock.setOnHand(sku, 10)
})
test.after(() => db.destroy())

test('an order holds a SKU once; a repeated check finds its reservation', async () => {
  const orderNumber = await newOrder()
  const first = await db.transaction((trx) => repos.stockReservations.reserve({ order_number: orderNumber, sku, quantity: 4, job_key: 'j1' }, trx))
  const again = await db.transaction((trx) => repos.stockReservations.reserve({ order_number: orderNumber, sku, quantity: 4, job_key: 'j2' }, trx))
  assert.ok(first.created)
  assert.not.ok(again.created)
  assert.is(again.reservation?.id, first.reservation?.id)
  assert.equal(await repos.stock.availability([sku]), [{ sku, on_hand: 10, reserved: 4, available: 6 }])
})

test('short stock reserves nothing; released and shipped stock changes what is available', async () => {
  const big = await newOrder()
  const short = await repos.stockReservations.reserve({ order_number: big, sku, quantity: 7 })
  assert.equal(short, { created: false, available: 6 })
  const small = await newOrder()
  assert.ok((await repos.stockReservations.reserve({ order_number: small, sku, quantity: 5 })).created)
  assert.is(await repos.stockReservations.releaseForOrder(small), 1)
  assert.ok((await repos.stockReservations.reserve({ order_number: small, sku, quantity: 6 })).created, 'a released reservation frees the units')
  assert.is(await repos.stockReservations.consumeForOrder(small), 1)
  assert.is(await repos.stockReservations.consumeForOrder(small), 0, 'consuming twice ships nothing twice')
  assert.equal(await repos.stock.availability([sku]), [{ sku, on_hand: 4, reserved: 4, available: 0 }])
})

test.run()
