import { randomInt } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadConfig } from '../../../lib/config.ts'
import { createDb } from '../../../lib/db.ts'
import { createRepositories } from '../../../lib/repositories/index.ts'
import { seedDemoCatalogue } from '../../../lib/seed.ts'

// Runs against the migrated database of DATABASE_URL (npm test makes one of its own).
const db = createDb(loadConfig().DATABASE_URL)
const repos = createRepositories(db)

async function newOrder() {
  const orderNumber = `CO-2026-${Date.now()}${randomInt(1000, 10000)}`
  await repos.orders.upsert({
    order_number: orderNumber, channel: 'contract', customer_name: 'Shenzhen Huaxun Engineering', priority: 'normal', status: 'production-instructed', data: {}, process_instance_key: null,
  })
  return orderNumber
}

/** What procurement-request raises for an order short of two SKUs, in one job. */
const shortages = (orderNumber: string, jobKey: string) => [
  { order_number: orderNumber, sku: 'ODF-288', quantity: 5, source: 'group-transfer' as const, supplier: 'Yixiang Group Foshan plant', job_key: jobKey, shortage_index: 0 },
  { order_number: orderNumber, sku: 'MDF-2000', quantity: 2, source: 'purchase' as const, supplier: 'Dongguan Metalworks', planned_arrival: '2026-12-10', job_key: jobKey, shortage_index: 1 },
]

const step = (orderNumber: string, jobKey: string) => ({
  order_number: orderNumber, job_key: jobKey, step: 'procurement-request', actor: 'worker:procurement-request', element_id: 'REQUEST_PROCUREMENT', clause: 'D2 二.一.3',
})

test.before(() => seedDemoCatalogue(db).then(() => undefined))
test.after(() => db.destroy())

test('a redelivered job gets the requests it raised, one per shortage', async () => {
  const orderNumber = await newOrder()
  const jobKey = `job-${orderNumber}`
  const first = []
  for (const request of shortages(orderNumber, jobKey)) first.push(await repos.purchaseRequests.insertOrGet(request))
  const again = []
  for (const request of shortages(orderNumber, jobKey)) {
    again.push(await repos.purchaseRequests.insertOrGet({ ...request, quantity: 99, supplier: 'someone else' }))
  }
  assert.equal(first.map((r) => r.created), [true, true])
  assert.equal(again.map((r) => r.created), [false, false])
  assert.equal(again.map((r) => r.row), first.map((r) => r.row))
  assert.is(first[0].row.request_number === first[1].row.request_number, false)
  assert.match(first[0].row.request_number, /^PR-\d{4}-\d{6}$/)
  assert.is(first[1].row.planned_arrival, '2026-12-10')
  assert.equal((await repos.purchaseRequests.listForOrder(orderNumber)).map((r) => [r.sku, r.quantity]), [['ODF-288', 5], ['MDF-2000', 2]])
})

test('a new job for the same order raises new requests', async () => {
  const orderNumber = await newOrder()
  await repos.purchaseRequests.insertOrGet(shortages(orderNumber, `job-a-${orderNumber}`)[0])
  const second = await repos.purchaseRequests.insertOrGet(shortages(orderNumber, `job-b-${orderNumber}`)[0])
  assert.ok(second.created)
  assert.is((await repos.purchaseRequests.listForOrder(orderNumber)).length, 2)
})

test('the requests and the history row commit or roll back together', async () => {
  const orderNumber = await newOrder()
  const jobKey = `job-${orderNumber}`
  const raise = (failAfter: boolean) =>
    repos.events.once(step(orderNumber, jobKey), async (trx) => {
      const rows = []
      for (const request of shortages(orderNumber, jobKey)) rows.push((await repos.purchaseRequests.insertOrGet(request, trx)).row)
      if (failAfter) throw new Error('ERP timed out')
      return { outcome: 'requested', result: { purchaseRequests: rows.map((row) => row.request_number) } }
    })
  await raise(true).then(
    () => assert.unreachable('the step succeeded'),
    (error: Error) => assert.is(error.message, 'ERP timed out'),
  )
  assert.equal(await repos.purchaseRequests.listForOrder(orderNumber), [])
  assert.equal(await repos.events.listForOrder(orderNumber), [])

  const first = await raise(false)
  const again = await raise(false)
  assert.equal(again, first)
  assert.equal((await repos.purchaseRequests.listForOrder(orderNumber)).map((r) => r.request_number), first.purchaseRequests)
  assert.is((await repos.events.listForOrder(orderNumber)).length, 1)
})

test('withdrawing a cancelled order leaves received requests alone', async () => {
  const orderNumber = await newOrder()
  const [a, b] = await Promise.all(shortages(orderNumber, `job-${orderNumber}`).map((r) => repos.purchaseRequests.insertOrGet(r)))
  await repos.purchaseRequests.setStatus(a.row.request_number, 'received')
  assert.is(await repos.purchaseRequests.withdrawOpenForOrder(orderNumber), 1)
  assert.is((await repos.purchaseRequests.find(b.row.request_number))?.status, 'withdrawn')
  assert.is((await repos.purchaseRequests.find(a.row.request_number))?.status, 'received')
})

test.run()
