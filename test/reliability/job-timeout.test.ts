/**
 * "A job re-activated after its timeout", on the engine's own job timeout: a first worker
 * activates the job with a lock of WORKER_JOB_TIMEOUT_MS (3 s here), starts the real handler (the
 * side effect) and stalls: it never completes or fails the job. The engine times the job out and
 * hands the same job (same key) to a second worker, the real worker runtime. For the refund and
 * the carrier booking the first run is still waiting for the outside service when that happens:
 * the second run waits for the step's row, then completes with what the first recorded. Exactly
 * one row, one history row and one outgoing call; the instance completes.
 *
 * The engine measures the lock on its own clock. When another suite pins that clock (PUT
 * /v2/clock, test/lib/engine-clock.test.ts, which resets it when done), a job's deadline is
 * computed from the pinned time and a timed-out job is not handed out again until the engine's
 * clock passes it: that, not the engine, is why an earlier version of this test had to hand the
 * job back with failJob. The test now checks the deadline it is given and says so if the clock
 * is pinned.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createSandboxCarrier, type CarrierClient } from '../../lib/clients/carrier.ts'
import { createSandboxPayment, type PaymentClient } from '../../lib/clients/payment.ts'
import { seedDemoCatalogue } from '../../lib/seed.ts'
import { workerDeps } from '../../lib/system.ts'
import { loadWorkerModules } from '../../lib/worker-runtime.ts'
import type { Outcome } from '../../lib/worker.ts'
import { eventually, openClients, search, uniqueOrderNumber } from '../helpers.ts'
import { countingCarrier, countingPayment, deployTestProcess, faultConfig, insertOrder, startFaultyWorker, testProcessId } from './support.ts'

const { camunda, db } = openClients()
const zeebe = camunda.getZeebeGrpcApiClient()
const started: string[] = []
const lockMs = faultConfig.WORKER_JOB_TIMEOUT_MS

test.before(async () => {
  await seedDemoCatalogue(db)
  for (const type of ['payment-refund', 'shipping-book', 'procurement-request']) await deployTestProcess(camunda, type)
})

test.after(async () => {
  for (const key of started) await zeebe.cancelProcessInstance(key).catch(() => undefined)
  await zeebe.close()
  await db.destroy()
})

/**
 * Starts an instance of the worker's test process; a stalling worker activates its job (lock
 * `lockMs`) and starts the real handler on it without ever reporting back.
 */
async function startAndStall(taskType: string, variables: Record<string, unknown>, outside: { payment?: PaymentClient; carrier?: CarrierClient }) {
  const { processInstanceKey } = await zeebe.createProcessInstance({ bpmnProcessId: testProcessId(taskType), variables: JSON.parse(JSON.stringify(variables)) })
  started.push(processInstanceKey)
  const job = await eventually(
    `${taskType}: the stalling worker's activation`,
    async () => {
      const jobs = await zeebe.activateJobs({ type: testProcessId(taskType), worker: 'stalling-worker', maxJobsToActivate: 10, timeout: lockMs, requestTimeout: 1000 })
      return jobs.find((j) => j.processInstanceKey === processInstanceKey)
    },
    20000,
  )
  const lockGiven = Number(job.deadline) - Date.now()
  assert.ok(
    lockGiven > lockMs - 5000 && lockGiven < lockMs + 5000,
    `the engine's deadline for the job is ${Math.round(lockGiven / 1000)} s away instead of ${lockMs / 1000} s: its clock is pinned (PUT /v2/clock by another suite); POST /v2/clock/reset and run again`,
  )

  const mod = (await loadWorkerModules()).find((m) => m.taskType === taskType)!
  const deps = workerDeps(faultConfig, db)
  deps.outside = { ...deps.outside, ...outside }
  const handler = mod.createHandler(deps)
  const first = { done: false, outcome: undefined as Outcome<string> | undefined }
  const run = handler({
    key: job.key,
    type: taskType,
    processInstanceKey: job.processInstanceKey,
    bpmnProcessId: job.bpmnProcessId,
    elementId: job.elementId,
    elementInstanceKey: job.elementInstanceKey,
    retries: job.retries,
    customHeaders: job.customHeaders as Record<string, string>,
    variables: JSON.parse(JSON.stringify(job.variables)),
  }).then((outcome) => {
    first.done = true
    first.outcome = outcome
  })
  return { processInstanceKey, jobKey: job.key, first, run }
}

/** The real worker runtime, started once the first run stalls: it gets the job only after the engine's timeout. */
async function secondWorker(taskType: string, outside: { payment?: PaymentClient; carrier?: CarrierClient }) {
  const runs: { count: number; jobKey?: string } = { count: 0 }
  const workers = await startFaultyWorker({ taskType, zeebe, db, runs, ...outside })
  return { runs, workers }
}

const completed = (processInstanceKey: string) =>
  eventually('the instance completed', async () => (await search.processInstanceState(processInstanceKey)) === 'COMPLETED', 45000)

test('payment-refund: the job re-activated after its timeout while the first run waits for the provider refunds once', async () => {
  const orderNumber = uniqueOrderNumber('RT')
  await insertOrder(db, orderNumber)
  const payment = countingPayment(createSandboxPayment(), { firstDelayMs: lockMs * 3 })
  const outside = { payment: payment.client }
  const stalled = await startAndStall('payment-refund', { refund: { orderNumber, amount: 42.5, currency: 'CNY', reason: 'reliability test' } }, outside)
  await eventually('the first run waiting for the provider', async () => payment.calls.length >= 1, 10000)
  const { runs, workers } = await secondWorker('payment-refund', outside)
  try {
    await eventually('the engine to hand the timed-out job to the second worker', async () => runs.count >= 1, lockMs * 3 - 1000)
    assert.is(runs.jobKey, stalled.jobKey, 'the same job, re-activated')
    assert.not.ok(stalled.first.done, 'the second run started while the first still waited for the provider')
    await completed(stalled.processInstanceKey)
    await stalled.run

    assert.is(payment.calls.length, 1, 'one call to the payment provider')
    const rows = await db('refunds').where({ order_number: orderNumber })
    assert.is(rows.length, 1, 'one refunds row')
    assert.is(rows[0].status, 'succeeded')
    assert.is((await db('order_events').where({ order_number: orderNumber, step: 'payment-refund' })).length, 1, 'one order_events row')
    assert.is(stalled.first.outcome?.kind, 'complete', 'the first run finished its work too (its completion was never sent)')
  } finally {
    await workers.stop(2000)
  }
})

test('shipping-book: the job re-activated after its timeout while the first run waits for the carrier books once', async () => {
  const orderNumber = uniqueOrderNumber('RT')
  await insertOrder(db, orderNumber)
  const carrier = countingCarrier(createSandboxCarrier(), { firstDelayMs: lockMs * 3 })
  const outside = { carrier: carrier.client }
  const stalled = await startAndStall(
    'shipping-book',
    {
      shipment: { orderNumber, deliveryAddress: '1 Century Ave, Shanghai', shippingMethod: 'road', packageCount: 1, grossWeightKg: 5 },
      order: { customer: { name: 'Li Wei', phone: '+86 21 5555 0100' } },
    },
    outside,
  )
  await eventually('the first run waiting for the carrier', async () => carrier.calls.length >= 1, 10000)
  const { runs, workers } = await secondWorker('shipping-book', outside)
  try {
    await eventually('the engine to hand the timed-out job to the second worker', async () => runs.count >= 1, lockMs * 3 - 1000)
    assert.is(runs.jobKey, stalled.jobKey, 'the same job, re-activated')
    assert.not.ok(stalled.first.done, 'the second run started while the first still waited for the carrier')
    await completed(stalled.processInstanceKey)
    await stalled.run

    assert.is(carrier.calls.length, 1, 'one booking asked of the carrier')
    const rows = await db('shipments').where({ order_number: orderNumber })
    assert.is(rows.length, 1, 'one shipments row')
    assert.ok(rows[0].tracking_number, 'the booking is recorded')
    assert.is((await db('order_events').where({ order_number: orderNumber, step: 'shipping-book' })).length, 1, 'one order_events row')
  } finally {
    await workers.stop(2000)
  }
})

test('procurement-request: the job re-activated after its timeout raises one purchase request', async () => {
  const orderNumber = uniqueOrderNumber('RT')
  await insertOrder(db, orderNumber, 'contract')
  const stalled = await startAndStall(
    'procurement-request',
    { order: { orderNumber }, shortage: { material: 'Cable tray', model: 'CT-400-AL', quantity: 5000, requiredDate: '2027-01-15', supply: 'transfer-or-purchase' } },
    {},
  )
  await stalled.run
  assert.is((await db('purchase_requests').where({ order_number: orderNumber })).length, 1, 'the first run raised the request')
  const { runs, workers } = await secondWorker('procurement-request', {})
  try {
    await completed(stalled.processInstanceKey)
    assert.is(runs.jobKey, stalled.jobKey, 'the same job, re-activated after its timeout')
    const rows = await db('purchase_requests').where({ order_number: orderNumber })
    assert.is(rows.length, 1, 'one purchase_requests row')
    assert.is((await db('order_events').where({ order_number: orderNumber, step: 'procurement-request' })).length, 1, 'one order_events row')
  } finally {
    await workers.stop(2000)
  }
})

test.run()
