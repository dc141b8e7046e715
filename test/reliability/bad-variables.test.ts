/**
 * "Bad process variables (wrong type, missing field) → an incident whose message names the
 * variable; nothing half-written" (issue 9), for the workers with side effects, on the real
 * engine and PostgreSQL: each worker's test process is started with one bad variable; the job
 * ends in an ACTIVE incident naming that variable's path, before any outside call, step row or
 * order_events row. Once the variables are corrected (PUT /process-instance/{id}/variables/{name})
 * and the task's retries set again (what Cockpit's retry does), the instance
 * completes with exactly one row and (where the step has one) one outside call.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createSandboxCarrier } from '../../lib/clients/carrier.ts'
import { createSandboxNotifier } from '../../lib/clients/notifier.ts'
import { createSandboxPayment } from '../../lib/clients/payment.ts'
import type { Knex } from 'knex'
import { seedDemoCatalogue } from '../../lib/seed.ts'
import {
  activeIncidents,
  cancelAll,
  ended,
  engine,
  eventually,
  openDb,
  setVariable,
  startInstance,
  uniqueOrderNumber,
  countingCarrier,
  countingNotifier,
  countingPayment,
  deployTestProcess,
  insertOrder,
  startFaultyWorker,
  testProcessId,
} from './support.ts'

let db: Knex
const started: string[] = []

type Variables = Record<string, unknown>

/** Per worker: the table its side effect lands in, whether it calls out, and variables that work. */
const steps: Record<string, { table: string; callsOut: boolean; channel?: 'contract'; good: (orderNumber: string) => Variables }> = {
  'payment-refund': {
    table: 'refunds',
    callsOut: true,
    good: (orderNumber) => ({ refund: { orderNumber, amount: 129.5, currency: 'CNY', reason: 'reliability test' } }),
  },
  'shipping-book': {
    table: 'shipments',
    callsOut: true,
    good: (orderNumber) => ({
      shipment: { orderNumber, deliveryAddress: '1 Century Ave, Shanghai', shippingMethod: 'road', packageCount: 1, grossWeightKg: 5 },
      order: { customer: { name: 'Li Wei', phone: '+86 21 5555 0100' } },
    }),
  },
  'procurement-request': {
    table: 'purchase_requests',
    callsOut: false,
    channel: 'contract',
    good: (orderNumber) => ({
      order: { orderNumber },
      shortage: { material: 'Cable tray', model: 'CT-400-AL', quantity: 5000, requiredDate: '2027-01-15', supply: 'transfer-or-purchase' },
    }),
  },
  'customer-notify': {
    table: 'notifications',
    callsOut: true,
    good: (orderNumber) => ({ order: { orderNumber, customer: { name: 'Li Wei', phone: '+86 21 5555 0100' } }, orderPaid: true }),
  },
  'returns-record': {
    table: 'returns',
    callsOut: false,
    good: (orderNumber) => ({
      returnRequest: { returnNumber: `RT-${orderNumber.slice(3)}`, orderNumber, items: [{ model: 'CT-40', quantity: 1 }], reason: 'damaged', reasonKind: 'defective' },
    }),
  },
  'invoice-issue': {
    table: 'invoices',
    callsOut: false,
    channel: 'contract',
    good: (orderNumber) => ({
      order: { orderNumber, customer: { name: 'Foshan Cable Co.' } },
      contract: { contractNumber: `HT-${orderNumber}`, amount: 5000, currency: 'CNY', paymentTerms: 'net 30' },
    }),
  },
}

/** One bad variable each: `says` is what the incident must say, starting with the variable's path. */
const cases: { taskType: string; says: string; bad: (good: Variables) => Variables }[] = [
  { taskType: 'payment-refund', says: 'refund.amount must match pattern', bad: (v) => ({ refund: { ...(v.refund as Variables), amount: 'twelve yuan' } }) },
  { taskType: 'payment-refund', says: 'refund.amount is missing', bad: (v) => ({ refund: { ...(v.refund as Variables), amount: undefined } }) },
  { taskType: 'shipping-book', says: 'shipment.packageCount must be integer', bad: (v) => ({ ...v, shipment: { ...(v.shipment as Variables), packageCount: 'two' } }) },
  { taskType: 'shipping-book', says: 'shipment.deliveryAddress is missing', bad: (v) => ({ ...v, shipment: { ...(v.shipment as Variables), deliveryAddress: undefined } }) },
  { taskType: 'procurement-request', says: 'shortage.quantity must be integer', bad: (v) => ({ ...v, shortage: { ...(v.shortage as Variables), quantity: '5000' } }) },
  { taskType: 'procurement-request', says: 'shortage.model is missing', bad: (v) => ({ ...v, shortage: { ...(v.shortage as Variables), model: undefined } }) },
  { taskType: 'customer-notify', says: 'orderPaid must be boolean,null', bad: (v) => ({ ...v, orderPaid: 'yes' }) },
  { taskType: 'customer-notify', says: '(order.orderNumber is missing)', bad: (v) => ({ ...v, order: { ...(v.order as Variables), orderNumber: undefined } }) },
  {
    taskType: 'returns-record',
    says: 'returnRequest.items must be array,null',
    bad: (v) => ({ returnRequest: { ...(v.returnRequest as Variables), items: 'one cable tray' } }),
  },
  { taskType: 'returns-record', says: 'returnRequest.returnNumber is missing', bad: (v) => ({ returnRequest: { ...(v.returnRequest as Variables), returnNumber: undefined } }) },
  { taskType: 'invoice-issue', says: 'contract.amount must match pattern', bad: (v) => ({ ...v, contract: { ...(v.contract as Variables), amount: 'about 5000' } }) },
  { taskType: 'invoice-issue', says: 'set the contract variable (contract.amount)', bad: (v) => ({ order: v.order }) },
]

const rowsOf = async (table: string, orderNumber: string) => (await db(table).where({ order_number: orderNumber })).length

test.before(async () => {
  db = await openDb()
  await seedDemoCatalogue(db)
  for (const type of Object.keys(steps)) await deployTestProcess(type)
})

test.after(async () => {
  await cancelAll(started)
  await db.destroy()
})

for (const { taskType, says, bad } of cases) {
  test(`${taskType}: "${says}" is an incident before any effect; corrected and retried, the step runs once`, async () => {
    const step = steps[taskType]
    const orderNumber = uniqueOrderNumber(step.channel === 'contract' ? 'CO' : 'SO')
    await insertOrder(db, orderNumber, step.channel)
    const good = step.good(orderNumber)
    const payment = countingPayment(createSandboxPayment())
    const carrier = countingCarrier(createSandboxCarrier())
    const notifier = countingNotifier(createSandboxNotifier())
    const outsideCalls = () => payment.calls.length + carrier.calls.length + notifier.calls.length
    const workers = await startFaultyWorker({ taskType, db, payment: payment.client, carrier: carrier.client, notifier: notifier.client })
    try {
      const processInstanceKey = await startInstance(testProcessId(taskType), bad(good))
      started.push(processInstanceKey)

      const incident = await eventually(`${taskType}: an incident for "${says}"`, async () => (await activeIncidents(processInstanceKey))[0], 20000)
      assert.is(incident.incidentType, 'failedExternalTask')
      assert.ok(incident.incidentMessage.includes(says), `the incident names the variable: ${incident.incidentMessage}`)
      assert.ok(/Correct the variables in Cockpit|retry the incident in Cockpit/.test(incident.incidentMessage), `the incident says what to do: ${incident.incidentMessage}`)
      assert.is(outsideCalls(), 0, 'no outside call')
      assert.is(await rowsOf(step.table, orderNumber), 0, `no ${step.table} row`)
      assert.is(await rowsOf('order_events', orderNumber), 0, 'no order_events row')

      for (const [name, value] of Object.entries(good)) await setVariable(processInstanceKey, name, value)
      await engine.put(`/external-task/${incident.configuration}/retries`, { retries: 1 })

      await ended(processInstanceKey, 20000)
      assert.is(await rowsOf(step.table, orderNumber), 1, `one ${step.table} row`)
      assert.is(await rowsOf('order_events', orderNumber), 1, 'one order_events row')
      assert.is(outsideCalls(), step.callsOut ? 1 : 0, 'outside calls')
    } finally {
      await workers.stop(2000)
    }
  })
}

test.run()
