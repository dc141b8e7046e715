import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Knex } from 'knex'
import type { StepKey, StepResult } from '../../lib/repositories/order-events.ts'
import type { OrderUpsert } from '../../lib/repositories/orders.ts'
import type { JobContext } from '../../lib/worker.ts'
import { applyCorrection, createHandler, orderProblems, type ContractOrder } from '../../workers/order-validate.ts'

const today = '2026-11-24'
const complete: ContractOrder = {
  orderNumber: 'CO-2026-0001',
  customer: { name: 'Guangzhou Telecom Works' },
  lines: [{ productName: 'Distribution frame', model: 'DF-200', quantity: 4 }],
  deliveryDate: '2026-12-20',
  shippingMethod: 'road',
  salesLeaderSignOff: { name: 'Li Wei' },
}

test('a complete order has no problems', () => {
  assert.equal(orderProblems(complete, today), [])
})

test('each missing item of D1 第4条 2 is named in the staff words', () => {
  const problems = orderProblems({ orderNumber: 'CO-2026-0002', lines: [{ productName: 'Frame' }] }, today)
  assert.equal(problems, [
    'Customer name is missing',
    'Line 1: model is missing',
    'Line 1: quantity is missing',
    'Delivery date is missing',
    'Shipping method is missing',
    'Sales leader sign-off is missing',
  ])
})

test('wrong values are reported as incorrect, not as missing', () => {
  const problems = orderProblems(
    { ...complete, lines: [{ productName: 'Frame', model: 'F1', quantity: 2.5 }], deliveryDate: '2026-02-30', shippingMethod: 'teleport', priority: 'asap' },
    today,
  )
  assert.equal(problems, [
    'Priority must be normal or urgent',
    'Line 1: quantity must be a whole number of at least 1',
    'Delivery date must be a date (YYYY-MM-DD)',
    'Shipping method must be one of road, rail, sea, air, express, customer-pickup',
  ])
  assert.equal(orderProblems({ ...complete, deliveryDate: '2026-11-01' }, today), ['Delivery date 2026-11-01 is in the past'])
  assert.equal(orderProblems({ ...complete, lines: [] }, today), ['The order has no lines (product, model, quantity)'])
})

test('a correction is merged into the order: what the form does not show is kept', () => {
  const order: ContractOrder = {
    ...complete,
    customer: { name: 'Guangzhou Telecom Works', phone: '020-12345678' },
    lines: [
      { sku: 'PP-24C6', productName: 'Patch panel', model: 'PP-24', quantity: 2 },
      { sku: 'CAB-OUT', productName: 'Cabinet', quantity: 1 },
    ],
    deliveryAddress: '88 Tianhe Road, Guangzhou 510620',
    shippingMethod: undefined,
  }
  // As Tasklist submits the form: only its fields, the empty slots of lines 3.. as null.
  const correction = {
    orderNumber: 'CO-2026-9999',
    customer: { name: 'Guangzhou Telecom Works Ltd' },
    lines: [{ productName: 'Patch panel', model: 'PP-24', quantity: 3 }, { productName: 'Cabinet', model: 'OIC-1600', quantity: 1 }, null, { productName: '', model: '', quantity: null }],
    shippingMethod: 'rail',
    salesLeaderSignOff: { name: 'Li Wei' },
  }
  assert.equal(applyCorrection(order, correction), {
    ...order,
    customer: { name: 'Guangzhou Telecom Works Ltd', phone: '020-12345678' },
    lines: [
      { sku: 'PP-24C6', productName: 'Patch panel', model: 'PP-24', quantity: 3 },
      { sku: 'CAB-OUT', productName: 'Cabinet', model: 'OIC-1600', quantity: 1 },
    ],
    shippingMethod: 'rail',
    salesLeaderSignOff: { name: 'Li Wei' },
    orderNumber: complete.orderNumber,
  })
})

test('lines the correction does not reach are kept; a first line is added to an order without lines', () => {
  const lines = Array.from({ length: 12 }, (_, i) => ({ sku: `S${i}`, productName: `P${i}`, model: `M${i}`, quantity: i + 1 }))
  const corrected = applyCorrection({ ...complete, lines }, { lines: [{ productName: 'P0', model: 'M0-new', quantity: 1 }] })
  assert.is((corrected.lines as unknown[]).length, 12)
  assert.equal((corrected.lines as unknown[])[0], { sku: 'S0', productName: 'P0', model: 'M0-new', quantity: 1 })
  assert.equal((corrected.lines as unknown[])[11], lines[11])
  const { lines: _, ...withoutLines } = complete
  assert.equal(applyCorrection(withoutLines, { lines: [{ productName: 'Frame', model: 'F1', quantity: 2 }] }).lines, [
    { productName: 'Frame', model: 'F1', quantity: 2 },
  ])
})

test('a field cleared in the form is cleared in the order and named as missing', () => {
  const corrected = applyCorrection(complete, { deliveryDate: null, salesLeaderSignOff: { name: '' } })
  assert.equal(orderProblems(corrected, today), ['Delivery date is missing', 'Sales leader sign-off is missing'])
})

function fakes() {
  const upserts: OrderUpsert[] = []
  const results = new Map<string, unknown>()
  const steps: StepKey[] = []
  const orders = { upsert: async (order: OrderUpsert) => void upserts.push(order) }
  const events = {
    once: async <R>(key: StepKey, work: (trx: Knex.Transaction) => Promise<StepResult<R>>) => {
      const id = `${key.step}/${key.job_key}`
      if (!results.has(id)) {
        steps.push(key)
        results.set(id, (await work({} as Knex.Transaction)).result)
      }
      return results.get(id) as R
    },
  }
  return { upserts, steps, deps: { orders, events } as never }
}

const job = (
  order: ContractOrder,
  key = '101',
  orderCorrection?: Record<string, unknown> | null,
): JobContext<{ order: ContractOrder; orderCorrection?: Record<string, unknown> | null }> => ({
  key,
  type: 'order-validate',
  processInstanceKey: '9001',
  bpmnProcessId: 'contract-order',
  elementId: 'VALIDATE_ORDER',
  elementInstanceKey: '9002',
  retries: 3,
  customHeaders: {},
  variables: orderCorrection === undefined ? { order } : { order, orderCorrection },
})

test('the handler stores the order and completes with the verdict', async () => {
  const { upserts, steps, deps } = fakes()
  const handler = createHandler(deps, () => today)
  const outcome = await handler(job({ ...complete, customer: {} }))
  assert.equal(outcome, { kind: 'complete', variables: { orderComplete: false, orderProblems: ['Customer name is missing'] } })
  assert.is(upserts[0].status, 'incomplete')
  assert.is(upserts[0].process_instance_key, '9001')
  assert.is(steps[0].clause, 'D1 第4条 2')
  assert.is(steps[0].actor, 'worker:order-validate')
})

test('a redelivered job gets the first result and changes nothing again', async () => {
  const { upserts, deps } = fakes()
  const handler = createHandler(deps, () => today)
  const first = await handler(job(complete, '202'))
  const again = await handler(job(complete, '202'))
  assert.equal(again, first)
  assert.is(upserts.length, 1)
  assert.equal(first, { kind: 'complete', variables: { orderComplete: true, orderProblems: [] } })
})

test('after Correct order the handler merges the correction, checks it, writes the order back and consumes the correction, once per task', async () => {
  const { upserts, deps } = fakes()
  const handler = createHandler(deps, () => today)
  const incomplete: ContractOrder = { ...complete, deliveryAddress: '88 Tianhe Road', shippingMethod: undefined }
  const correction = { orderNumber: complete.orderNumber, shippingMethod: 'sea', lines: [{ productName: 'Distribution frame', model: 'DF-200', quantity: 5 }] }
  const first = await handler(job(incomplete, '303', correction))
  const merged = { ...complete, deliveryAddress: '88 Tianhe Road', shippingMethod: 'sea', lines: [{ productName: 'Distribution frame', model: 'DF-200', quantity: 5 }] }
  assert.equal(first, { kind: 'complete', variables: { order: merged, orderCorrection: null, orderComplete: true, orderProblems: [] } })
  assert.equal(upserts[0].data, merged)
  assert.is(upserts[0].status, 'validated')
  assert.equal(await handler(job(incomplete, '303', correction)), first, 'a redelivered task gets the same merged order')
  assert.is(upserts.length, 1)
  assert.equal(await handler(job(complete, '404', null)), { kind: 'complete', variables: { orderComplete: true, orderProblems: [] } }, 'no correction: the order is not written back')
})

test.run()
