import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Knex } from 'knex'
import type { StepKey, StepResult } from '../../lib/repositories/order-events.ts'
import type { ProductRow } from '../../lib/repositories/products.ts'
import type { Quote } from '../../lib/repositories/quotes.ts'
import type { JobContext, Outcome } from '../../lib/worker.ts'
import { createHandler, unitPriceCents, type OrderWithLines } from '../../workers/quote-calculate.ts'

const catalogue = [
  { sku: 'ODF-144', name: 'Optical distribution frame 144-core', model: 'ODF-144-FC', list_price: '6800.00', special_modification_surcharge_pct: '15.00' },
  { sku: 'CAB-OUT', name: 'Outdoor integrated cabinet', model: 'OIC-1600-AC', list_price: '26800.00', special_modification_surcharge_pct: '20.00' },
] as ProductRow[]

const order: OrderWithLines = {
  orderNumber: 'CO-2026-0101',
  lines: [
    { productName: 'Distribution frame', model: 'odf-144-fc', quantity: 4 },
    { productName: 'Cabinet', sku: 'CAB-OUT', model: 'OIC-1600-AC', quantity: 1 },
  ],
}

function fakes() {
  const quotes: Quote[] = []
  const statuses: string[] = []
  const steps: StepKey[] = []
  const results = new Map<string, unknown>()
  const deps = {
    products: {
      find: async (sku: string) => catalogue.find((p) => p.sku === sku),
      findByModel: async (model: string) => catalogue.find((p) => p.model.toLowerCase() === model.toLowerCase()),
    },
    quotes: {
      insertOrGet: async (quote: Quote) => {
        quotes.push(quote)
        return { row: { ...quote, quote_number: `QT-2026-00000${quotes.length}`, currency: 'CNY' }, created: true }
      },
    },
    orders: { advance: async (_n: string, status: string, decisions: Record<string, unknown>) => void statuses.push(`${status} ${JSON.stringify(decisions)}`) },
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
  return { quotes, statuses, steps, deps: deps as never }
}


/** The variables a completed job hands back (fails the test on any other outcome). */
function variablesOf<V>(outcome: Outcome<never>): V {
  if (outcome.kind !== 'complete') throw new Error(`expected complete, got ${outcome.kind}`)
  return outcome.variables as V
}

const job = (variables: { order: OrderWithLines; orderClassification?: { classification: string } | null }, key = '301'): JobContext<typeof variables> => ({
  key,
  type: 'quote-calculate',
  processInstanceKey: '9101',
  bpmnProcessId: 'contract-order',
  elementId: 'QUOTE_CALCULATE',
  elementInstanceKey: '9102',
  retries: 3,
  customHeaders: {},
  variables,
})

test('the surcharge is added to the list price in cents, rounded half up', () => {
  assert.is(unitPriceCents('6800.00', null), 680000)
  assert.is(unitPriceCents('6800.00', '15.00'), 782000)
  assert.is(unitPriceCents('0.05', '50.00'), 8)
})

test('a regular order is priced from the price list (D2 一.三 1)', async () => {
  const { quotes, statuses, steps, deps } = fakes()
  const outcome = await createHandler(deps)(job({ order, orderClassification: { classification: 'regular' } }))
  assert.equal(outcome, {
    kind: 'complete',
    variables: {
      quote: {
        quoteNumber: 'QT-2026-000001',
        basis: 'price-list',
        total: '54000.00',
        currency: 'CNY',
        lines: [
          { lineNo: 1, sku: 'ODF-144', productName: 'Distribution frame', model: 'ODF-144-FC', quantity: 4, unitPrice: '6800.00', surchargePct: '0.00', lineTotal: '27200.00' },
          { lineNo: 2, sku: 'CAB-OUT', productName: 'Cabinet', model: 'OIC-1600-AC', quantity: 1, unitPrice: '26800.00', surchargePct: '0.00', lineTotal: '26800.00' },
        ],
      },
    },
  })
  assert.is(quotes[0].basis, 'price-list')
  assert.is(quotes[0].amount, '54000.00')
  assert.is(quotes[0].job_key, '301')
  assert.equal(statuses, ['quoted {"classification":"regular","review_outcome":"accepted"}'])
  assert.is(steps[0].clause, 'D2 一.三 1')
})

test('a non-regular order, or one without classification, carries the special-modification surcharge (D2 一.三 2)', async () => {
  for (const orderClassification of [{ classification: 'non-regular' }, null]) {
    const { quotes, steps, deps } = fakes()
    const outcome = await createHandler(deps)(job({ order, orderClassification }))
    assert.is(outcome.kind, 'complete')
    const quote = variablesOf<{ quote: { basis: string; total: string; lines: { unitPrice: string; surchargePct: string }[] } }>(outcome).quote
    assert.is(quote.basis, 'special-modification')
    assert.equal(quote.lines.map((l) => [l.unitPrice, l.surchargePct]), [['7820.00', '15.00'], ['32160.00', '20.00']])
    assert.is(quote.total, '63440.00')
    assert.is(quotes[0].amount, '63440.00')
    assert.is(steps[0].clause, 'D2 一.三 2')
  }
})

test('a line naming no catalogue product fails the job with what to fix, and stores nothing', async () => {
  const { quotes, deps } = fakes()
  const unknown = { ...order, lines: [{ productName: 'New shelter', model: 'NS-1', quantity: 1 }] }
  try {
    await createHandler(deps)(job({ order: unknown, orderClassification: { classification: 'non-regular' } }))
    assert.unreachable('should have thrown')
  } catch (error) {
    assert.match((error as Error).message, 'line 1 (model NS-1) of order CO-2026-0101 names no product in the catalogue')
    assert.match((error as Error).message, 'then retry')
  }
  assert.is(quotes.length, 0)
})

test('a redelivered job gets the first quote and stores no second one', async () => {
  const { quotes, deps } = fakes()
  const handler = createHandler(deps)
  const first = await handler(job({ order, orderClassification: { classification: 'regular' } }, '302'))
  const again = await handler(job({ order, orderClassification: { classification: 'regular' } }, '302'))
  assert.equal(again, first)
  assert.is(quotes.length, 1)
})

test.run()
