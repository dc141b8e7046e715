import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { StepKey } from '../../lib/repositories/order-events.ts'
import type { ProductionOrder } from '../../lib/repositories/production-orders.ts'
import type { ProductRow } from '../../lib/repositories/products.ts'
import type { JobContext, Outcome } from '../../lib/worker.ts'
import { createHandler } from '../../workers/production-instruct.ts'
import { fakeEvents } from './fake-events.ts'

const catalogue = [{ sku: 'ODF-144', name: 'Optical distribution frame 144-core', model: 'ODF-144-FC' }] as ProductRow[]

const order = {
  orderNumber: 'CO-2026-0201',
  deliveryDate: '2026-12-20',
  lines: [
    { productName: 'Distribution frame', model: 'ODF-144-FC', quantity: 4 },
    { productName: 'Custom shelter', model: 'NS-1', quantity: 1 },
  ],
}

function fakes(failInsert = false) {
  const entered: ProductionOrder[] = []
  const statuses: string[] = []
  const { steps, events } = fakeEvents()
  const deps = {
    products: {
      find: async (sku: string) => catalogue.find((p) => p.sku === sku),
      findByModel: async (model: string) => catalogue.find((p) => p.model.toLowerCase() === model.toLowerCase()),
    },
    productionOrders: {
      insertOrGet: async (row: ProductionOrder) => {
        if (failInsert) throw new Error('connection terminated unexpectedly')
        entered.push(row)
        return { row: { ...row, production_order_number: 'MO-2026-000001', instructed_at: new Date('2026-11-24T02:00:00Z'), status: 'instructed' }, created: true }
      },
    },
    orders: { advance: async (_n: string, status: string) => void statuses.push(status) },
    events,
  }
  return { entered, statuses, steps, deps: deps as never }
}

type Vars = { order: typeof order; agreedDeliveryDate?: string | null }

/** The variables a completed job hands back (fails the test on any other outcome). */
function variablesOf<V>(outcome: Outcome<never>): V {
  if (outcome.kind !== 'complete') throw new Error(`expected complete, got ${outcome.kind}`)
  return outcome.variables as V
}

const job = (variables: Vars, key = '401'): JobContext<Vars> => ({
  key,
  type: 'production-instruct',
  processInstanceKey: '9201',
  bpmnProcessId: 'contract-order',
  elementId: 'PRODUCTION_INSTRUCT',
  elementInstanceKey: '9202',
  retries: 3,
  customHeaders: {},
  variables,
})

test('the instruction lists what to make and the committed date (D2 一.五.1)', async () => {
  const { entered, statuses, steps, deps } = fakes()
  const outcome = await createHandler(deps)(job({ order }))
  const lines = [
    { lineNo: 1, sku: 'ODF-144', productName: 'Distribution frame', model: 'ODF-144-FC', quantity: 4 },
    { lineNo: 2, sku: null, productName: 'Custom shelter', model: 'NS-1', quantity: 1 },
  ]
  assert.equal(outcome, {
    kind: 'complete',
    variables: {
      productionInstruction: { productionOrderNumber: 'MO-2026-000001', instructedAt: '2026-11-24T02:00:00.000Z', committedDate: '2026-12-20', lines },
    },
  })
  assert.equal(entered[0].lines, lines.map((l) => ({ ...l, committedDate: '2026-12-20' })))
  assert.is(entered[0].job_key, '401')
  assert.equal(statuses, ['production-instructed'])
  assert.is(steps[0].clause, 'D2 一.五.1')
})

test('a later delivery date agreed with the customer is the committed date', async () => {
  const { entered, deps } = fakes()
  const outcome = await createHandler(deps)(job({ order, agreedDeliveryDate: '2027-01-15' }))
  assert.is(variablesOf<{ productionInstruction: { committedDate: string } }>(outcome).productionInstruction.committedDate, '2027-01-15')
  assert.is(entered[0].lines?.[0].committedDate, '2027-01-15')
})

test('a database failure is thrown (retried by the runtime) and records no step', async () => {
  const { steps, deps } = fakes(true)
  try {
    await createHandler(deps)(job({ order }))
    assert.unreachable('should have thrown')
  } catch (error) {
    assert.match((error as Error).message, 'connection terminated')
  }
  assert.is(steps.length, 0)
})

test('a redelivered job gets the first instruction and enters no second one', async () => {
  const { entered, deps } = fakes()
  const handler = createHandler(deps)
  const first = await handler(job({ order }, '402'))
  const again = await handler(job({ order }, '402'))
  assert.equal(again, first)
  assert.is(entered.length, 1)
})

test.run()
