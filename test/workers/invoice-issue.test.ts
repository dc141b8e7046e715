import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { ContractRow } from '../../lib/repositories/contracts.ts'
import type { CustomerRow } from '../../lib/repositories/customers.ts'
import type { Invoice } from '../../lib/repositories/invoices.ts'
import type { StepKey } from '../../lib/repositories/order-events.ts'
import type { QuoteRow } from '../../lib/repositories/quotes.ts'
import type { JobContext, Outcome } from '../../lib/worker.ts'
import { addDays, createHandler, termDays } from '../../workers/invoice-issue.ts'
import { fakeEvents } from './fake-events.ts'

const today = '2026-11-24'

function fakes(stored: { contract?: Partial<ContractRow>; quote?: Partial<QuoteRow>; customer?: Partial<CustomerRow> } = {}) {
  const issued: Invoice[] = []
  const statuses: string[] = []
  const { steps, events } = fakeEvents()
  const deps = {
    invoices: {
      insertOrGet: async (invoice: Invoice) => {
        issued.push(invoice)
        return { row: { ...invoice, invoice_number: `IN-2026-00000${issued.length}`, currency: invoice.currency ?? 'CNY', due_date: invoice.due_date ?? null }, created: true }
      },
    },
    contracts: { findByOrder: async () => stored.contract },
    quotes: { latestForOrder: async () => stored.quote },
    customers: { findByName: async (name: string) => (stored.customer?.name === name ? stored.customer : undefined) },
    orders: { advance: async (_n: string, status: string) => void statuses.push(status) },
    events,
  }
  return { issued, statuses, steps, deps: deps as never }
}

type Vars = Parameters<ReturnType<typeof createHandler>>[0]['variables']
const order = { orderNumber: 'CO-2026-0501', customer: { name: 'Guangzhou Telecom Works' } }

/** The variables a completed job hands back (fails the test on any other outcome). */
function variablesOf<V>(outcome: Outcome<never>): V {
  if (outcome.kind !== 'complete') throw new Error(`expected complete, got ${outcome.kind}`)
  return outcome.variables as V
}

const job = (variables: Vars, key = '701'): JobContext<Vars> => ({
  key,
  type: 'invoice-issue',
  processInstanceKey: '9501',
  bpmnProcessId: 'contract-order',
  elementId: 'INVOICE_ISSUE',
  elementInstanceKey: '9502',
  retries: 3,
  customHeaders: {},
  variables,
})

test('payment terms name the days to pay; the longest wins', () => {
  assert.is(termDays('30% advance, balance 60 days after delivery'), 60)
  assert.is(termDays('Net 30'), 30)
  assert.is(termDays('预付30%,余款货到后90天内付清'), 90)
  assert.is(termDays('cash on delivery'), undefined)
  assert.is(addDays('2026-12-15', 30), '2027-01-14')
})

test('the invoice takes amount and currency from the contract and the due date from its terms (D10 24B)', async () => {
  const { issued, statuses, steps, deps } = fakes()
  const outcome = await createHandler(deps, () => today)(
    job({ order, contract: { contractNumber: 'HT-2026-017', amount: 62000.5, currency: 'CNY', paymentTerms: 'balance 60 days after delivery' }, quote: { total: '54000.00', currency: 'CNY' }, paymentCollection: { remindOn: '2027-01-10' } }),
  )
  assert.equal(outcome, {
    kind: 'complete',
    variables: { invoice: { invoiceNumber: 'IN-2026-000001', amount: '62000.50', currency: 'CNY', issuedOn: today, dueDate: '2027-01-23', basis: 'contract', reference: 'HT-2026-017' } },
  })
  assert.equal([issued[0].amount, issued[0].due_date, issued[0].job_key], ['62000.50', '2027-01-23', '701'])
  assert.equal(statuses, ['invoiced'])
  assert.is(steps[0].clause, 'D10 24B')
})

test('terms without days: the agreed payment date, else the customer standard term', async () => {
  const agreed = fakes()
  const first = await createHandler(agreed.deps, () => today)(job({ order, contract: { amount: 100, paymentTerms: 'on delivery' }, paymentCollection: { remindOn: '2027-01-10' } }))
  assert.is(variablesOf<{ invoice: { dueDate: string } }>(first).invoice.dueDate, '2027-01-10')
  const standard = fakes({ customer: { name: 'Guangzhou Telecom Works', payment_terms_days: 60 } })
  const second = await createHandler(standard.deps, () => today)(job({ order, contract: { amount: 100 } }))
  assert.is(variablesOf<{ invoice: { dueDate: string } }>(second).invoice.dueDate, '2027-01-23')
})

test('without a contract variable the stored contract, then the quote, is invoiced', async () => {
  const stored = fakes({ contract: { contract_number: 'CT-2026-000004', amount: '48000.00', currency: 'CNY', payment_terms: 'net 30' } })
  const byContract = await createHandler(stored.deps, () => today)(job({ order }))
  assert.equal(variablesOf<{ invoice: object }>(byContract).invoice, {
    invoiceNumber: 'IN-2026-000001', amount: '48000.00', currency: 'CNY', issuedOn: today, dueDate: '2026-12-24', basis: 'contract', reference: 'CT-2026-000004',
  })
  const quoted = fakes({ quote: { quote_number: 'QT-2026-000009', amount: '54000.00', currency: 'CNY' } })
  const byQuote = await createHandler(quoted.deps, () => today)(job({ order, quote: null, contract: null }))
  assert.equal(variablesOf<{ invoice: { basis: string; amount: string; dueDate: null } }>(byQuote).invoice.basis, 'quote')
  assert.equal(quoted.issued[0].amount, '54000.00')
})

test('an order with neither contract nor quote fails the job with what to fix, and issues nothing', async () => {
  const { issued, deps } = fakes()
  try {
    await createHandler(deps, () => today)(job({ order }))
    assert.unreachable('should have thrown')
  } catch (error) {
    assert.match((error as Error).message, 'order CO-2026-0501 has neither a contract amount nor a quote to invoice')
  }
  assert.is(issued.length, 0)
})

test('a redelivered job gets the first invoice and issues no second one', async () => {
  const { issued, deps } = fakes()
  const handler = createHandler(deps, () => today)
  const variables = { order, contract: { amount: '100.00', paymentTerms: 'net 30' } }
  const first = await handler(job(variables, '702'))
  const again = await handler(job(variables, '702'))
  assert.equal(again, first)
  assert.is(issued.length, 1)
})

test.run()
