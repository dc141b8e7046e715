/**
 * "The database unreachable during a task": the workers' connection goes through a TCP proxy
 * that the test closes right after the payment provider answered. The task fails with retries
 * (the database back-off: 10 s, 20 s) and becomes an incident naming the connection problem;
 * with the database back, setting the task's retries (what Cockpit's retry does) finishes the
 * refund once (one row, one history row, one Idempotency-Key) and the instance.
 */
import type { Knex } from 'knex'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createSandboxPayment } from '../../lib/clients/payment.ts'
import { createDb } from '../../lib/db.ts'
import {
  activeIncidents,
  cancelAll,
  config,
  countingPayment,
  deployTestProcess,
  ended,
  engine,
  eventually,
  insertOrder,
  openDb,
  startFaultyWorker,
  startInstance,
  tcpProxy,
  testProcessId,
  uniqueOrderNumber,
} from './support.ts'

let db: Knex
const started: string[] = []

test.before(async () => {
  db = await openDb()
  await deployTestProcess('payment-refund')
})

test.after(async () => {
  await cancelAll(started)
  await db.destroy()
})

test('payment-refund: the database gone mid-task gives an incident; after it is back, a retry refunds once', async () => {
  const target = new URL(config.DATABASE_URL)
  const proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
  const viaProxy = new URL(config.DATABASE_URL)
  viaProxy.hostname = '127.0.0.1'
  viaProxy.port = String(proxy.port)
  const workerDb = createDb(viaProxy.toString())
  const orderNumber = uniqueOrderNumber('RD')
  await insertOrder(db, orderNumber)
  const payment = countingPayment(createSandboxPayment(), { onFirstCall: () => proxy.close() })
  const workers = await startFaultyWorker({ taskType: 'payment-refund', db: workerDb, payment: payment.client })
  try {
    const id = await startInstance(testProcessId('payment-refund'), { refund: { orderNumber, amount: 88, currency: 'CNY', reason: 'reliability test' } })
    started.push(id)

    // Three tries 10 s and 20 s apart (the database back-off), then the incident.
    const incident = await eventually('an incident once the retries are used up', async () => (await activeIncidents(id))[0], 90000)
    assert.is(incident.incidentType, 'failedExternalTask')
    assert.match(incident.incidentMessage, /payment-refund failed: .*ECONNREFUSED/)
    assert.match(incident.incidentMessage, 'No retries left')
    const refunds = await db('refunds').where({ order_number: orderNumber })
    assert.is(refunds.length, 1, 'the row inserted before the outage')
    assert.is(refunds[0].status, 'requested', 'the outcome was not recorded while the database was gone')
    assert.is((await db('order_events').where({ order_number: orderNumber, step: 'payment-refund' })).length, 0)

    await proxy.open()
    await engine.put(`/external-task/${incident.configuration}/retries`, { retries: 1 })

    await ended(id, 30000)
    const after = await db('refunds').where({ order_number: orderNumber })
    assert.is(after.length, 1, 'one refunds row')
    assert.is(after[0].status, 'succeeded')
    assert.is((await db('order_events').where({ order_number: orderNumber, step: 'payment-refund', process_instance_key: id })).length, 1, 'one order_events row')
    // The row was still `requested`, so the retry asks the provider again, under the same key.
    assert.equal([...payment.keys()], [`cancellation:${orderNumber}`], 'one Idempotency-Key')
  } finally {
    await workers.stop(2000)
    await proxy.close()
    await workerDb.destroy()
  }
})

test.run()
