/**
 * "A job re-activated after its timeout": the payment provider holds its first answer longer than
 * the job lock (WORKER_JOB_TIMEOUT_MS), and the job is handed out again while the first run is
 * still going. The engine of this environment does not re-activate timed-out jobs within a minute
 * (its clock is the controlled one), so the test hands the job back itself at the moment the lock
 * would run out: failJob with unchanged retries and no back-off, same job key, as a time-out does. Both runs share the refund row and its Idempotency-Key; the history row is
 * written once (the loser of the race reads it back), and the instance completes.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createSandboxPayment } from '../../lib/clients/payment.ts'
import { eventually, openClients, search, uniqueOrderNumber } from '../helpers.ts'
import { countingPayment, deployTestProcess, faultConfig, insertOrder, startFaultyWorker, testProcessId } from './support.ts'

const { camunda, db } = openClients()
const zeebe = camunda.getZeebeGrpcApiClient()
const started: string[] = []

test.before(async () => {
  await deployTestProcess(camunda, 'payment-refund')
})

test.after(async () => {
  for (const key of started) await zeebe.cancelProcessInstance(key).catch(() => undefined)
  await zeebe.close()
  await db.destroy()
})

test('payment-refund: a handler slower than the job timeout refunds under one key, records once, completes', async () => {
  const orderNumber = uniqueOrderNumber('RT')
  await insertOrder(db, orderNumber)
  const slowMs = faultConfig.WORKER_JOB_TIMEOUT_MS * 3
  let firstDone = false
  const payment = countingPayment(createSandboxPayment(), { firstDelayMs: slowMs, onFirstCall: () => void (firstDone = true) })
  const runs: { count: number; jobKey?: string } = { count: 0 }
  const workers = await startFaultyWorker({ taskType: 'payment-refund', zeebe, db, payment: payment.client, runs })
  try {
    const { processInstanceKey } = await zeebe.createProcessInstance({
      bpmnProcessId: testProcessId('payment-refund'),
      variables: { refund: { orderNumber, amount: 42.5, currency: 'CNY', reason: 'reliability test' } },
    })
    started.push(processInstanceKey)

    await eventually('the first run waiting for the provider', async () => payment.calls.length >= 1, 20000)
    await sleep(faultConfig.WORKER_JOB_TIMEOUT_MS)
    await zeebe.failJob({ jobKey: runs.jobKey!, errorMessage: 'test: job lock ran out', retries: 3, retryBackOff: 0 })
    await eventually('the job handed out again while the first run waits', async () => runs.count >= 2, slowMs - faultConfig.WORKER_JOB_TIMEOUT_MS - 1000)
    assert.not.ok(firstDone, 'the second run started while the first was still waiting for the provider')
    await eventually('the instance completed', async () => (await search.processInstanceState(processInstanceKey)) === 'COMPLETED', 45000)
    await eventually('the first run finished', async () => firstDone, slowMs + 5000)
    await sleep(500)

    const rows = await db('refunds').where({ order_number: orderNumber })
    assert.is(rows.length, 1, 'one refunds row')
    assert.is(rows[0].status, 'succeeded')
    assert.is((await db('order_events').where({ order_number: orderNumber, step: 'payment-refund', process_instance_key: processInstanceKey })).length, 1, 'one order_events row')
    // The second run found the row still `requested` and asked again: the same key, so one refund.
    assert.equal([...payment.keys()], [`cancellation:${orderNumber}`], 'one Idempotency-Key')
  } finally {
    await workers.stop(2000)
  }
})

test.run()
