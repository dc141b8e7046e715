/**
 * The real order-validate module through the real runtime on the engine: invalid process
 * variables become an incident naming the variable; corrected and retried, the order validates.
 */
import type { Knex } from 'knex'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { RunningWorkers } from '../../lib/worker-runtime.ts'
import {
  activeIncidents,
  cancelAll,
  deployTestProcess,
  ended,
  engine,
  eventually,
  openDb,
  setVariable,
  startFaultyWorker,
  startInstance,
  testProcessId,
  uniqueOrderNumber,
} from '../reliability/support.ts'

let db: Knex
let workers: RunningWorkers
const started: string[] = []

test.before(async () => {
  db = await openDb()
  await deployTestProcess('order-validate')
  workers = await startFaultyWorker({ taskType: 'order-validate', db })
})

test.after(async () => {
  await workers.stop(3000)
  await cancelAll(started)
  await db.destroy()
})

test('invalid process variables become an incident naming the variable, which can be fixed and retried', async () => {
  const orderNumber = uniqueOrderNumber()
  const id = await startInstance(testProcessId('order-validate'), { order: { orderNumber: 20261124 } })
  started.push(id)

  const [incident] = await eventually('an incident on TASK', async () => (await activeIncidents(id)).length > 0 && activeIncidents(id), 20000)
  assert.is(incident.activityId, 'TASK')
  assert.match(incident.incidentMessage, 'invalid process variables: order.orderNumber must be string')
  assert.match(incident.incidentMessage, 'Correct the variables in Cockpit, then retry the incident.')
  assert.is((await db('order_events').where({ process_instance_key: id })).length, 0)

  await setVariable(id, 'order', {
    orderNumber,
    customer: { name: 'Foshan Cable Co.' },
    lines: [{ productName: 'Cable tray', model: 'CT-40', quantity: 12 }],
    deliveryDate: '2027-05-01',
    shippingMethod: 'rail',
    salesLeaderSignOff: { name: 'Zhou Min' },
  })
  await engine.put(`/external-task/${incident.configuration}/retries`, { retries: 1 })

  await ended(id)
  const row = await db('order_events').where({ order_number: orderNumber, step: 'order-validate' }).first()
  assert.is(row?.outcome, 'complete')
  assert.is((await activeIncidents(id)).length, 0)
})

test.run()
