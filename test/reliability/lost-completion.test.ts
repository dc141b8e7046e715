/**
 * "A task whose completion is lost after its side effect": the worker did its work (row, history,
 * outside call) but its completion never reached the engine, so the task stays locked until its
 * lock runs out and the engine hands it out again (see losingFirstCompletion in support.ts); the
 * second run must find the work done and only complete the task.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createSandboxCarrier, type CarrierClient } from '../../lib/clients/carrier.ts'
import { createSandboxPayment, type PaymentClient } from '../../lib/clients/payment.ts'
import { seedDemoCatalogue } from '../../lib/seed.ts'
import type { Knex } from 'knex'
import {
  cancelAll,
  countingCarrier,
  countingPayment,
  deployTestProcess,
  ended,
  engine,
  insertOrder,
  losingFirstCompletion,
  openDb,
  startFaultyWorker,
  startInstance,
  testProcessId,
  uniqueOrderNumber,
} from './support.ts'

let db: Knex
const started: string[] = []

test.before(async () => {
  db = await openDb()
  await seedDemoCatalogue(db)
  for (const type of ['payment-refund', 'shipping-book', 'procurement-request']) await deployTestProcess(type)
})

test.after(async () => {
  await cancelAll(started)
  await db.destroy()
})

/** Runs one instance of the worker's test process with its first completion lost. */
async function runWithLostCompletion(taskType: string, variables: Record<string, unknown>, outside: { payment?: PaymentClient; carrier?: CarrierClient } = {}) {
  const { client, state } = losingFirstCompletion(engine)
  const runs = { count: 0 }
  const workers = await startFaultyWorker({ ...outside, taskType, engine: client, db, runs })
  try {
    const id = await startInstance(testProcessId(taskType), variables)
    started.push(id)
    await ended(id, 30000)
    assert.is(state.lost, 1, 'one completion was lost')
    assert.ok(runs.count >= 2, `the engine handed the task out again (handler runs: ${runs.count})`)
    return id
  } finally {
    await workers.stop(2000)
  }
}

test('payment-refund: a lost completion after the refund refunds once and completes', async () => {
  const orderNumber = uniqueOrderNumber('RL')
  await insertOrder(db, orderNumber)
  const payment = countingPayment(createSandboxPayment())
  const id = await runWithLostCompletion('payment-refund', { refund: { orderNumber, amount: 129.5, currency: 'CNY', reason: 'reliability test' } }, { payment: payment.client })
  const rows = await db('refunds').where({ order_number: orderNumber })
  assert.is(rows.length, 1, 'one refunds row')
  assert.is(rows[0].status, 'succeeded')
  assert.is(rows[0].idempotency_key, `cancellation:${orderNumber}`)
  assert.is((await db('order_events').where({ order_number: orderNumber, step: 'payment-refund', process_instance_key: id })).length, 1, 'one order_events row')
  assert.is(payment.calls.length, 1, 'the provider was called once')
})

test('shipping-book: a lost completion after the booking books once and completes', async () => {
  const orderNumber = uniqueOrderNumber('RL')
  await insertOrder(db, orderNumber)
  const carrier = countingCarrier(createSandboxCarrier())
  const id = await runWithLostCompletion(
    'shipping-book',
    {
      shipment: { orderNumber, deliveryAddress: '1 Century Ave, Shanghai', shippingMethod: 'road', packageCount: 1, grossWeightKg: 5 },
      order: { customer: { name: 'Li Wei', phone: '+86 21 5555 0100' } },
    },
    { carrier: carrier.client },
  )
  const rows = await db('shipments').where({ order_number: orderNumber })
  assert.is(rows.length, 1, 'one shipments row')
  assert.ok(rows[0].tracking_number, 'the booking is recorded')
  assert.is((await db('order_events').where({ order_number: orderNumber, step: 'shipping-book', process_instance_key: id })).length, 1, 'one order_events row')
  assert.is(carrier.calls.length, 1, 'the carrier was called once')
})

test('procurement-request: a lost completion raises one purchase request and completes', async () => {
  const orderNumber = uniqueOrderNumber('RL')
  await insertOrder(db, orderNumber, 'contract')
  const id = await runWithLostCompletion('procurement-request', {
    order: { orderNumber },
    shortage: { material: 'Cable tray', model: 'CT-400-AL', quantity: 5000, requiredDate: '2027-01-15', supply: 'transfer-or-purchase' },
  })
  const rows = await db('purchase_requests').where({ order_number: orderNumber })
  assert.is(rows.length, 1, 'one purchase_requests row')
  assert.is(rows[0].source, 'purchase')
  assert.is((await db('order_events').where({ order_number: orderNumber, step: 'procurement-request', process_instance_key: id })).length, 1, 'one order_events row')
})

test.run()
