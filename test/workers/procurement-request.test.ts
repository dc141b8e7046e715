import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Knex } from 'knex'
import type { StepKey, StepResult } from '../../lib/repositories/order-events.ts'
import type { PurchaseRequest } from '../../lib/repositories/purchase-requests.ts'
import type { JobContext } from '../../lib/worker.ts'
import { chooseSource, createHandler, type GroupStock, type ProcurementVariables } from '../../workers/procurement-request.ts'

const group: GroupStock[] = [{ company: 'Yixiang Foshan', sku: 'ODF-288', available: 10 }]
const catalogue: Record<string, string> = { 'ODF-288-SC': 'ODF-288', 'MDF-2000L': 'MDF-2000' }

function fakes() {
  const requests: PurchaseRequest[] = []
  const results = new Map<string, unknown>()
  const steps: StepKey[] = []
  let next = 1
  const rows = new Map<string, Record<string, unknown>>()
  const deps = {
    products: { findByModel: async (model: string) => (catalogue[model] ? { sku: catalogue[model], model } : undefined) },
    purchaseRequests: {
      insertOrGet: async (request: PurchaseRequest) => {
        const key = `${request.job_key}/${request.shortage_index}`
        if (!rows.has(key)) {
          requests.push(request)
          rows.set(key, { ...request, request_number: `PR-2026-${String(next++).padStart(6, '0')}`, status: 'requested' })
          return { row: rows.get(key), created: true }
        }
        return { row: rows.get(key), created: false }
      },
    },
    events: {
      once: async <R>(key: StepKey, work: (trx: Knex.Transaction) => Promise<StepResult<R>>) => {
        const id = `${key.step}/${key.job_key}`
        if (!results.has(id)) {
          steps.push(key)
          results.set(id, (await work({} as Knex.Transaction)).result)
        }
        return results.get(id) as R
      },
    },
  }
  return { requests, steps, deps: deps as never }
}

const job = (variables: Partial<ProcurementVariables> & Pick<ProcurementVariables, 'shortage'>, key = '301'): JobContext<ProcurementVariables> => ({
  key,
  type: 'procurement-request',
  processInstanceKey: '9101',
  bpmnProcessId: 'production-fulfilment',
  elementId: 'PROCUREMENT_REQUEST',
  elementInstanceKey: '9102',
  retries: 3,
  customHeaders: {},
  variables: { order: { orderNumber: 'CO-2026-0101' }, ...variables },
})

const groupStock = async (sku: string) => group.filter((g) => g.sku === sku)

test('a group company holding the whole shortage is asked first (D2 二.一.3)', () => {
  assert.equal(chooseSource('ODF-288', 10, 'transfer-or-purchase', group), { kind: 'group-transfer', supplier: 'Yixiang Foshan' })
  assert.equal(chooseSource('ODF-288', 11, 'transfer-or-purchase', group), { kind: 'purchase', supplier: null })
  assert.equal(chooseSource('MDF-2000', 1, null, group), { kind: 'purchase', supplier: null })
  assert.equal(chooseSource('ODF-288', 1, 'outsourcing', group), { kind: 'outsourcing', supplier: null })
})

test('a transfer request carries the number goods-received correlates on', async () => {
  const { requests, steps, deps } = fakes()
  const outcome = await createHandler(deps, { groupStock })(
    job({ shortage: { material: 'ODF', model: 'ODF-288-SC', quantity: 4, requiredDate: '2026-12-10', supply: 'transfer-or-purchase' }, loopCounter: 2 }),
  )
  assert.equal(outcome, {
    kind: 'complete',
    variables: {
      purchaseRequest: { requestNumber: 'PR-2026-000001', kind: 'group-transfer', supplier: 'Yixiang Foshan', sku: 'ODF-288', model: 'ODF-288-SC', quantity: 4, plannedArrival: '2026-12-10' },
    },
  })
  assert.is(requests[0].source, 'group-transfer')
  assert.is(requests[0].shortage_index, 2, 'the engine counts loops from 0')
  assert.is(requests[0].job_key, '301')
  assert.is(steps[0].clause, 'D2 二.一.3')
})

test('no group stock: a purchase; outsourcing is recorded as a purchase of kind outsourcing', async () => {
  const { requests, deps } = fakes()
  const handler = createHandler(deps, { groupStock })
  const bought = await handler(job({ shortage: { model: 'MDF-2000L', quantity: 2 } }, '302'))
  const outsourced = await handler(job({ shortage: { model: 'ODF-288-SC', quantity: 2, supply: 'outsourcing' } }, '303'))
  assert.is((bought as unknown as { variables: { purchaseRequest: { kind: string } } }).variables.purchaseRequest.kind, 'purchase')
  assert.is((outsourced as unknown as { variables: { purchaseRequest: { kind: string } } }).variables.purchaseRequest.kind, 'outsourcing')
  assert.equal(requests.map((r) => [r.source, r.shortage_index, r.planned_arrival]), [['purchase', 0, null], ['purchase', 0, null]])
})

test('a model missing from the catalogue is a technical fault naming it', async () => {
  const { requests, deps } = fakes()
  try {
    await createHandler(deps, { groupStock })(job({ shortage: { model: 'XX-1', quantity: 1 } }))
    assert.unreachable('should have thrown')
  } catch (error) {
    assert.match((error as Error).message, 'shortage model "XX-1" is not in the product catalogue')
  }
  assert.is(requests.length, 0)
})

test('a redelivered job gets the first request and raises no second one', async () => {
  const { requests, deps } = fakes()
  const handler = createHandler(deps, { groupStock })
  const variables = { shortage: { model: 'MDF-2000L', quantity: 2 } }
  const first = await handler(job(variables, '304'))
  const again = await handler(job(variables, '304'))
  assert.equal(again, first)
  assert.is(requests.length, 1)
})

test.run()
