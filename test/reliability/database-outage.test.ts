/**
 * "The database unreachable during a job": the workers' connection goes through a TCP proxy that
 * the test closes right after the payment provider answered. The job fails with retries, becomes
 * an incident naming the connection problem; with the database back, retrying the incident
 * finishes the refund once (one row, one history row, one Idempotency-Key) and the instance.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createSandboxPayment } from '../../lib/clients/payment.ts'
import { createDb } from '../../lib/db.ts'
import { config, eventually, openClients, search, uniqueOrderNumber } from '../helpers.ts'
import { activeIncidents, countingPayment, deployTestProcess, insertOrder, startFaultyWorker, tcpProxy, testProcessId } from './support.ts'

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

test('payment-refund: the database gone mid-job gives an incident; after it is back, a retry refunds once', async () => {
  const target = new URL(config.DATABASE_URL)
  const proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
  const viaProxy = new URL(config.DATABASE_URL)
  viaProxy.hostname = '127.0.0.1'
  viaProxy.port = String(proxy.port)
  const workerDb = createDb(viaProxy.toString())
  const orderNumber = uniqueOrderNumber('RD')
  await insertOrder(db, orderNumber)
  const payment = countingPayment(createSandboxPayment(), { onFirstCall: () => proxy.close() })
  const workers = await startFaultyWorker({ taskType: 'payment-refund', zeebe, db: workerDb, payment: payment.client })
  try {
    const { processInstanceKey } = await zeebe.createProcessInstance({
      bpmnProcessId: testProcessId('payment-refund'),
      variables: { refund: { orderNumber, amount: 88, currency: 'CNY', reason: 'reliability test' } },
    })
    started.push(processInstanceKey)

    // Three tries 10 s and 20 s apart (the database back-off), then the incident.
    const incident = await eventually('an incident once the retries are used up', async () => (await activeIncidents(processInstanceKey))[0], 90000)
    assert.match(incident.errorMessage, /payment-refund failed: .*ECONNREFUSED/)
    assert.match(incident.errorMessage, 'No retries left')
    const refunds = await db('refunds').where({ order_number: orderNumber })
    assert.is(refunds.length, 1, 'the row inserted before the outage')
    assert.is(refunds[0].status, 'requested', 'the outcome was not recorded while the database was gone')
    assert.is((await db('order_events').where({ order_number: orderNumber, step: 'payment-refund' })).length, 0)

    await proxy.open()
    await zeebe.updateJobRetries({ jobKey: String(incident.jobKey), retries: 1 })
    await zeebe.resolveIncident({ incidentKey: String(incident.key) })

    await eventually('the instance completed after the retry', async () => (await search.processInstanceState(processInstanceKey)) === 'COMPLETED', 45000)
    const after = await db('refunds').where({ order_number: orderNumber })
    assert.is(after.length, 1, 'one refunds row')
    assert.is(after[0].status, 'succeeded')
    assert.is((await db('order_events').where({ order_number: orderNumber, step: 'payment-refund', process_instance_key: processInstanceKey })).length, 1, 'one order_events row')
    // The row was still `requested`, so the retry asks the provider again, under the same key.
    assert.equal([...payment.keys()], [`cancellation:${orderNumber}`], 'one Idempotency-Key')
  } finally {
    await workers.stop(2000)
    await proxy.close()
    await workerDb.destroy()
  }
})

test.run()
