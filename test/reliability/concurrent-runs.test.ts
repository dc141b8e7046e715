/**
 * Two runs of one job at the same time: the engine re-activates a job whose lock ran out while
 * the first run is still waiting for the outside service. The handlers of the real worker modules
 * run twice in parallel on the real database, against the live HTTP clients with nock holding the
 * provider's answer back: the second run must wait for the first (the step's row is held with
 * `select … for update`, the history row behind an advisory lock), then answer from what the
 * first recorded. Exactly one outgoing call, one domain row and one history row; both runs end
 * with the same outcome.
 */
import { randomInt } from 'node:crypto'
import nock from 'nock'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createCarrierClient } from '../../lib/clients/carrier.ts'
import { createPaymentClient } from '../../lib/clients/payment.ts'
import { loadConfig } from '../../lib/config.ts'
import { createDb } from '../../lib/db.ts'
import { createRepositories } from '../../lib/repositories/index.ts'
import { seedDemoCatalogue } from '../../lib/seed.ts'
import type { JobContext } from '../../lib/worker.ts'
import * as paymentRefund from '../../workers/payment-refund.ts'
import * as procurementRequest from '../../workers/procurement-request.ts'
import * as returnPickup from '../../workers/return-pickup.ts'
import * as shippingBook from '../../workers/shipping-book.ts'

const payments = 'https://payments.test'
const carrier = 'https://carrier.test'
const config = loadConfig({
  ...process.env,
  OUTSIDE_SERVICES_MODE: 'live',
  PAYMENT_API_URL: `${payments}/v1/`,
  PAYMENT_API_KEY: 'pk_test',
  CARRIER_API_URL: `${carrier}/api`,
  CARRIER_API_KEY: 'ck_test',
  NOTIFY_WEBHOOK_URL: 'https://notify.test/hook',
  NOTIFY_WEBHOOK_SECRET: 'whsec_test',
  OUTSIDE_CALL_TIMEOUT_MS: '10000',
})
const db = createDb(config.DATABASE_URL)
const deps = { db, config, ...createRepositories(db), outside: { payment: createPaymentClient(config), carrier: createCarrierClient(config) } } as never

/** How long the provider keeps the first run waiting: the second run starts meanwhile. */
const answerDelayMs = 800

test.before(async () => {
  await seedDemoCatalogue(db)
  // The suites share one process and the client tests switch nock off after theirs.
  if (!nock.isActive()) nock.activate()
  nock.disableNetConnect()
  nock.enableNetConnect('127.0.0.1')
})

test.after.each(() => {
  nock.cleanAll()
})

test.after(async () => {
  nock.enableNetConnect()
  nock.restore()
  await db.destroy()
})

async function newOrder(prefix: string): Promise<string> {
  const orderNumber = `${prefix}-2026-${Date.now()}${randomInt(1000, 10000)}`
  await db('orders').insert({ order_number: orderNumber, channel: 'shop', customer_name: 'Concurrency Test Co.', priority: 'normal', status: 'received', data: {}, process_instance_key: null })
  await db('payments').insert({ order_number: orderNumber, kind: 'full', amount: '100.00', received_at: new Date().toISOString(), message_id: `concurrency:${orderNumber}` })
  return orderNumber
}

/** One job, as both runs receive it: same key, same element instance. */
function job<V>(type: string, elementId: string, variables: V): JobContext<V> {
  const key = String(randomInt(1e9, 2e9))
  return { key, type, processInstanceKey: `9${key}`, bpmnProcessId: 'test', elementId, elementInstanceKey: `8${key}`, retries: 3, customHeaders: {}, variables }
}

/** Starts the second run once the first is inside the outside call (nock has the request). */
async function twoRunsAtOnce<T>(run: () => Promise<T>, firstCallArrived: () => boolean): Promise<[T, T]> {
  const first = run()
  first.catch(() => undefined) // reported below or by Promise.all, not as an unhandled rejection
  const deadline = Date.now() + 5000
  while (!firstCallArrived()) {
    if (Date.now() > deadline) {
      const outcome = await first.then(() => 'it completed without calling', (error: unknown) => `it failed: ${(error as Error).message}`)
      throw new Error(`the first run never reached the outside service (${outcome})`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return Promise.all([first, run()])
}

/**
 * An outside service that records each call when it arrives and answers `answerDelayMs` later;
 * it answers any number of calls, so a second call is counted rather than failing on nock.
 */
function slowService(base: string, path: string, answer: Record<string, unknown>) {
  const calls: string[] = []
  nock(base)
    .post(path)
    .times(5)
    .reply(function (_uri, _body, callback) {
      calls.push(String(this.req.headers['idempotency-key']))
      setTimeout(() => callback(null, [201, answer]), answerDelayMs)
    })
  return calls
}

test('payment-refund: two runs of one job at once call the provider once and record one refund', async () => {
  const orderNumber = await newOrder('SO')
  const calls = slowService(payments, '/v1/refunds', { providerReference: 're_concurrent' })
  const handler = paymentRefund.createHandler(deps)
  const once = job('payment-refund', 'REFUND_PAYMENT', { refund: { orderNumber, amount: 88, currency: 'CNY', reason: 'concurrency test' } })

  const [a, b] = await twoRunsAtOnce(() => handler(once), () => calls.length > 0)

  assert.equal(calls, [`cancellation:${orderNumber}`], 'one call to the payment provider')
  assert.is(a.kind, 'complete')
  assert.equal(a, b, 'both runs complete with the same result')
  const rows = await db('refunds').where({ order_number: orderNumber })
  assert.is(rows.length, 1, 'one refunds row')
  assert.is(rows[0].status, 'succeeded')
  assert.is(rows[0].provider_reference, 're_concurrent')
  assert.is((await db('order_events').where({ order_number: orderNumber, step: 'payment-refund' })).length, 1, 'one order_events row')
})

test('shipping-book: two runs of one job at once book the carrier once and keep one shipment', async () => {
  const orderNumber = await newOrder('CO')
  const calls = slowService(carrier, '/api/bookings', { carrier: 'SF Express', trackingNumber: 'SF-CONCURRENT-1', expectedDeliveryDate: '2026-12-01' })
  const handler = shippingBook.createHandler(deps)
  const once = job('shipping-book', 'BOOK_CARRIER', {
    shipment: { orderNumber, dispatchDate: null, deliveryAddress: 'Tianhe District, Guangzhou', shippingMethod: 'road', packageCount: 1, grossWeightKg: 12 },
    order: { customer: { name: 'Guangzhou Telecom Works', phone: '+86 20 8888 0001' } },
  })

  const [a, b] = await twoRunsAtOnce(() => handler(once), () => calls.length > 0)

  assert.equal(calls, [`shipping-book:${once.elementInstanceKey}`], 'one call to the carrier')
  assert.is(a.kind, 'complete')
  assert.equal(a, b, 'both runs complete with the same booking')
  const rows = await db('shipments').where({ order_number: orderNumber })
  assert.is(rows.length, 1, 'one shipments row')
  assert.is(rows[0].tracking_number, 'SF-CONCURRENT-1')
  assert.is((await db('order_events').where({ order_number: orderNumber, step: 'shipping-book' })).length, 1, 'one order_events row')
})

test('return-pickup: two runs of one job at once book the courier pickup once', async () => {
  const orderNumber = await newOrder('SO')
  const returnNumber = `RT-${orderNumber}`
  const calls = slowService(carrier, '/api/bookings', { carrier: 'SF Express', trackingNumber: 'SF-RETURN-1', expectedDeliveryDate: '2026-12-02' })
  const handler = returnPickup.createHandler(deps)
  const once = job('return-pickup', 'ARRANGE_PICKUP', {
    returnRequest: { returnNumber, orderNumber, items: [], reason: 'wrong colour', reasonKind: 'customer', pickupAddress: 'Yuexiu District, Guangzhou' },
    returnReview: { returnMethod: 'courier-pickup' as const },
  })

  const [a, b] = await twoRunsAtOnce(() => handler(once), () => calls.length > 0)

  assert.equal(calls, [`return-pickup:${returnNumber}`], 'one call to the carrier')
  assert.is(a.kind, 'complete')
  assert.equal(a, b, 'both runs complete with the same pickup')
  const rows = await db('shipments').where({ order_number: orderNumber })
  assert.is(rows.length, 1, 'one shipments row')
  assert.is(rows[0].tracking_number, 'SF-RETURN-1')
  assert.is((await db('order_events').where({ order_number: orderNumber, step: 'return-pickup' })).length, 1, 'one order_events row')
  assert.is((await db('returns').where({ return_number: returnNumber })).length, 1, 'one returns row')
})

test('procurement-request: two runs of one job at once raise one purchase request, and the second reads it back', async () => {
  const orderNumber = await newOrder('CO')
  // The group's stock is looked up slowly, so both runs are inside their transactions at once.
  const slowGroupStock = async () => {
    await new Promise((resolve) => setTimeout(resolve, answerDelayMs))
    return []
  }
  const handler = procurementRequest.createHandler(deps, { groupStock: slowGroupStock })
  const once = job('procurement-request', 'PROCUREMENT_REQUEST', {
    order: { orderNumber },
    shortage: { material: 'Cabinet frame', model: 'OIC-1600-AC', quantity: 3, requiredDate: '2026-12-10', supply: 'transfer-or-purchase' as const },
    loopCounter: 1,
  })

  const [a, b] = await Promise.all([handler(once), handler(once)])

  assert.is(a.kind, 'complete')
  assert.equal(a, b, 'both runs complete with the same request')
  assert.is((await db('purchase_requests').where({ order_number: orderNumber })).length, 1, 'one purchase_requests row')
  assert.is((await db('order_events').where({ order_number: orderNumber, step: 'procurement-request' })).length, 1, 'one order_events row')
})

test.run()
