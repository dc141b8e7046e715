/**
 * "A task handed out again after its lock expired", on the engine's own lock: a first, plain
 * worker locks the task for WORKER_JOB_TIMEOUT_MS (3 s here, no lock extension), starts the real
 * handler (the side effect) and stalls inside the outside call. The engine hands the same task to
 * a second worker, the real runtime. The second run waits for the step's row, then completes with
 * what the first recorded. When the first run finally ends, its late completion is refused (the
 * task is gone or locked by the other worker). Exactly one row, one history row and one
 * outgoing call; the instance completes.
 */
import type { Knex } from 'knex'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createSandboxCarrier, type CarrierClient } from '../../lib/clients/carrier.ts'
import { createSandboxPayment, type PaymentClient } from '../../lib/clients/payment.ts'
import { EngineRestError, fromEngineVariables, toEngineVariables } from '../../lib/engine-rest.ts'
import { seedDemoCatalogue } from '../../lib/seed.ts'
import { workerDeps } from '../../lib/system.ts'
import { jobContext, loadWorkerModules } from '../../lib/worker-runtime.ts'
import type { Outcome } from '../../lib/worker.ts'
import {
  cancelAll,
  countingCarrier,
  countingPayment,
  deployTestProcess,
  ended,
  engine,
  eventually,
  faultConfig,
  insertOrder,
  lockAs,
  openDb,
  startFaultyWorker,
  startInstance,
  testProcessId,
  uniqueOrderNumber,
} from './support.ts'

let db: Knex
const started: string[] = []
const lockMs = faultConfig.WORKER_JOB_TIMEOUT_MS

test.before(async () => {
  db = await openDb()
  await seedDemoCatalogue(db)
  for (const type of ['payment-refund', 'shipping-book', 'procurement-request']) await deployTestProcess(type)
})

test.after(async () => {
  await cancelAll(started)
  await db.destroy()
})

/** Starts an instance; a stalling plain worker locks its task (lock `lockMs`) and runs the real handler without reporting. */
async function startAndStall(taskType: string, variables: Record<string, unknown>, outside: { payment?: PaymentClient; carrier?: CarrierClient }) {
  const id = await startInstance(testProcessId(taskType), variables)
  started.push(id)
  const task = await eventually(`${taskType}: the stalling worker's lock`, async () => (await lockAs('stalling-worker', testProcessId(taskType), lockMs)).find((t) => t.processInstanceId === id), 20000)
  const mod = (await loadWorkerModules()).find((m) => m.taskType === taskType)!
  const deps = workerDeps(faultConfig, db)
  deps.outside = { ...deps.outside, ...outside }
  const first = { done: false, outcome: undefined as Outcome<string> | undefined }
  const run = mod
    .createHandler(deps)({ ...jobContext(task, fromEngineVariables(task.variables)), type: taskType })
    .then((outcome) => {
      first.done = true
      first.outcome = outcome
    })
  /** The first worker's completion, sent late: refused, the lock having passed to another worker or the task ended. */
  const lateCompletion = async () => {
    await run
    const error = await engine
      .post(`/external-task/${task.id}/complete`, { workerId: 'stalling-worker', variables: toEngineVariables(first.outcome?.kind === 'complete' ? first.outcome.variables : {}) })
      .then(() => undefined, (e: unknown) => e)
    return error
  }
  return { id, taskId: task.id, first, run, lateCompletion }
}

async function secondWorker(taskType: string, outside: { payment?: PaymentClient; carrier?: CarrierClient }) {
  const runs: { count: number; jobKey?: string } = { count: 0 }
  const workers = await startFaultyWorker({ taskType, db, runs, ...outside })
  return { runs, workers }
}

test('payment-refund: the task handed out again while the first run waits for the provider refunds once; the late completion is refused', async () => {
  const orderNumber = uniqueOrderNumber('RT')
  await insertOrder(db, orderNumber)
  const payment = countingPayment(createSandboxPayment(), { firstDelayMs: lockMs * 3 })
  const outside = { payment: payment.client }
  const stalled = await startAndStall('payment-refund', { refund: { orderNumber, amount: 42.5, currency: 'CNY', reason: 'reliability test' } }, outside)
  await eventually('the first run waiting for the provider', async () => payment.calls.length >= 1, 10000)
  const { runs, workers } = await secondWorker('payment-refund', outside)
  try {
    await eventually('the engine to hand the expired task to the second worker', async () => runs.count >= 1, lockMs * 3 - 1000)
    assert.is(runs.jobKey, stalled.taskId, 'the same task, handed out again')
    assert.not.ok(stalled.first.done, 'the second run started while the first still waited for the provider')
    await ended(stalled.id)
    const late = await stalled.lateCompletion()
    assert.instance(late, EngineRestError, 'the late completion is refused')
    assert.is(payment.calls.length, 1, 'one call to the payment provider')
    const rows = await db('refunds').where({ order_number: orderNumber })
    assert.is(rows.length, 1, 'one refunds row')
    assert.is(rows[0].status, 'succeeded')
    assert.is((await db('order_events').where({ order_number: orderNumber, step: 'payment-refund' })).length, 1, 'one order_events row')
    assert.is(stalled.first.outcome?.kind, 'complete', 'the first run finished its work too')
  } finally {
    await workers.stop(2000)
  }
})

test('shipping-book: the task handed out again while the first run waits for the carrier books once', async () => {
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
    await eventually('the engine to hand the expired task to the second worker', async () => runs.count >= 1, lockMs * 3 - 1000)
    assert.is(runs.jobKey, stalled.taskId, 'the same task, handed out again')
    assert.not.ok(stalled.first.done, 'the second run started while the first still waited for the carrier')
    await ended(stalled.id)
    assert.instance(await stalled.lateCompletion(), EngineRestError, 'the late completion is refused')
    assert.is(carrier.calls.length, 1, 'one booking asked of the carrier')
    const rows = await db('shipments').where({ order_number: orderNumber })
    assert.is(rows.length, 1, 'one shipments row')
    assert.ok(rows[0].tracking_number, 'the booking is recorded')
    assert.is((await db('order_events').where({ order_number: orderNumber, step: 'shipping-book' })).length, 1, 'one order_events row')
  } finally {
    await workers.stop(2000)
  }
})

test('procurement-request: a late completion after the lock expired is accepted when no other worker took the task; one purchase request', async () => {
  const orderNumber = uniqueOrderNumber('RT')
  await insertOrder(db, orderNumber, 'contract')
  const stalled = await startAndStall(
    'procurement-request',
    { order: { orderNumber }, shortage: { material: 'Cable tray', model: 'CT-400-AL', quantity: 5000, requiredDate: '2027-01-15', supply: 'transfer-or-purchase' } },
    {},
  )
  await stalled.run
  const task = await engine.get<{ lockExpirationTime: string }>(`/external-task/${stalled.taskId}`)
  await eventually('the lock expired', async () => Date.now() > new Date(task.lockExpirationTime).getTime() + 200, lockMs + 2000)
  assert.is(await stalled.lateCompletion(), undefined, 'the engine accepts the late completion')
  await ended(stalled.id)
  assert.is((await db('purchase_requests').where({ order_number: orderNumber })).length, 1, 'one purchase_requests row')
  assert.is((await db('order_events').where({ order_number: orderNumber, step: 'procurement-request' })).length, 1, 'one order_events row')
})

test.run()
