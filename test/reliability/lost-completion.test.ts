/**
 * "A job whose completion is lost after its side effect": the worker did its work (row, history,
 * outside call) but its completeJob never reached the engine, and the engine hands the job out
 * again (same key) once its lock runs out (see losingFirstCompletion in support.ts); the second
 * run must find the work done and only complete the job.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createSandboxCarrier, type CarrierClient } from '../../lib/clients/carrier.ts'
import { createSandboxPayment, type PaymentClient } from '../../lib/clients/payment.ts'
import { seedDemoCatalogue } from '../../lib/seed.ts'
import { eventually, openClients, search, uniqueOrderNumber } from '../helpers.ts'
import {
  countingCarrier,
  countingPayment,
  deployTestProcess,
  insertOrder,
  losingFirstCompletion,
  startFaultyWorker,
  testProcessId,
} from './support.ts'

const { camunda, db } = openClients()
const zeebe = camunda.getZeebeGrpcApiClient()
const started: string[] = []

test.before(async () => {
  await seedDemoCatalogue(db)
  for (const type of ['payment-refund', 'shipping-book', 'procurement-request']) await deployTestProcess(camunda, type)
})

test.after(async () => {
  for (const key of started) await zeebe.cancelProcessInstance(key).catch(() => undefined)
  await zeebe.close()
  await db.destroy()
})

/** Runs one instance of the worker's test process with its first completion lost. */
async function runWithLostCompletion(taskType: string, variables: Record<string, unknown>, outside: { payment?: PaymentClient; carrier?: CarrierClient } = {}) {
  const { client, state } = losingFirstCompletion(camunda.getZeebeGrpcApiClient())
  const runs = { count: 0 }
  const workers = await startFaultyWorker({ ...outside, taskType, zeebe: client, db, runs })
  try {
    const { processInstanceKey } = await zeebe.createProcessInstance({ bpmnProcessId: testProcessId(taskType), variables: JSON.parse(JSON.stringify(variables)) })
    started.push(processInstanceKey)
    await eventually(`${taskType}: the instance completed after the lost completion`, async () => (await search.processInstanceState(processInstanceKey)) === 'COMPLETED', 45000)
    assert.is(state.lost, 1, 'one completion was lost')
    assert.ok(runs.count >= 2, `the engine handed the job out again (handler runs: ${runs.count})`)
    return processInstanceKey
  } finally {
    await workers.stop(2000)
  }
}

test('payment-refund: a lost completion after the refund refunds once and completes', async () => {
  const orderNumber = uniqueOrderNumber('RL')
  await insertOrder(db, orderNumber)
  const payment = countingPayment(createSandboxPayment())
  const key = await runWithLostCompletion(
    'payment-refund',
    { refund: { orderNumber, amount: 129.5, currency: 'CNY', reason: 'reliability test' } },
    { payment: payment.client },
  )
  const rows = await db('refunds').where({ order_number: orderNumber })
  assert.is(rows.length, 1, 'one refunds row')
  assert.is(rows[0].status, 'succeeded')
  assert.is(rows[0].idempotency_key, `cancellation:${orderNumber}`)
  assert.is((await db('order_events').where({ order_number: orderNumber, step: 'payment-refund', process_instance_key: key })).length, 1, 'one order_events row')
  assert.is(payment.calls.length, 1, 'the provider was called once')
})

test('shipping-book: a lost completion after the booking books once and completes', async () => {
  const orderNumber = uniqueOrderNumber('RL')
  await insertOrder(db, orderNumber)
  const carrier = countingCarrier(createSandboxCarrier())
  const key = await runWithLostCompletion(
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
  assert.is((await db('order_events').where({ order_number: orderNumber, step: 'shipping-book', process_instance_key: key })).length, 1, 'one order_events row')
  assert.is(carrier.calls.length, 1, 'the carrier was called once')
})

test('procurement-request: a lost completion raises one purchase request and completes', async () => {
  const orderNumber = uniqueOrderNumber('RL')
  await insertOrder(db, orderNumber, 'contract')
  const key = await runWithLostCompletion('procurement-request', {
    order: { orderNumber },
    shortage: { material: 'Cable tray', model: 'CT-400-AL', quantity: 5000, requiredDate: '2027-01-15', supply: 'transfer-or-purchase' },
  })
  const rows = await db('purchase_requests').where({ order_number: orderNumber })
  assert.is(rows.length, 1, 'one purchase_requests row')
  assert.is(rows[0].source, 'purchase')
  assert.is((await db('order_events').where({ order_number: orderNumber, step: 'procurement-request', process_instance_key: key })).length, 1, 'one order_events row')
})

test.run()
