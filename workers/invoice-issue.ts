/**
 * invoice-issue — issues the invoice of a shipped contract order by its sales contract (D10 24B:
 * the market department and finance invoice as the contract requires; the customer's signed
 * receipt is recorded later, `invoices.markReceived`).
 *
 * Amount and currency: the contract (variable `contract` from *Draft contract*, else the stored
 * `contracts` row), else the quote (variable `quote`, else the order's latest `quotes` row).
 * Due date (D10 25B/26B collect by the agreed terms): issue date plus the days the contract's
 * payment terms name ("balance 60 days after delivery", "net 30", "60天"); else the agreed payment
 * date (paymentCollection.remindOn); else issue date plus the customer's standard term
 * (`customers.payment_terms_days`); else none.
 *
 * Reads:   order {orderNumber, customer {name}}, contract {contractNumber, amount, currency,
 *          paymentTerms} (optional), quote {quoteNumber, total, currency} (optional),
 *          paymentCollection {remindOn} (optional)
 * Writes:  invoice {invoiceNumber, amount (decimal string), currency, issuedOn (YYYY-MM-DD),
 *          dueDate (YYYY-MM-DD or null), basis: "contract" | "quote", reference (contract or
 *          quote number)}
 * Errors:  none. An order with neither contract nor quote fails the job (incident): record the
 *          contract amount, then retry.
 * Effects: one `invoices` row per job (key: job key), order status `invoiced` and one
 *          `order_events` row, in one transaction; a redelivered job returns the stored invoice.
 */
import type { Knex } from 'knex'
import { calendarDate } from '../lib/repositories/support.ts'
import { amountKeyword, fromCents, toCents } from '../lib/money.ts'
import { amountPattern, orderNumberPattern } from '../lib/schemas.ts'
import { complete, stepKey, type Handler, type WorkerDeps } from '../lib/worker.ts'

export const taskType = 'invoice-issue'

/** Blank text is no amount (the stored contract, else the quote, is used); other text must read as one. */
const amount = { anyOf: [{ type: 'null' }, { type: 'string', pattern: '^\\s*$' }, { type: ['number', 'string'], pattern: amountPattern, [amountKeyword]: true }] } as const

export const variablesSchema = {
  type: 'object',
  required: ['order'],
  properties: {
    order: {
      type: 'object',
      required: ['orderNumber'],
      properties: {
        orderNumber: { type: 'string', pattern: orderNumberPattern },
        customer: { type: ['object', 'null'], properties: { name: { type: ['string', 'null'] } } },
      },
    },
    contract: {
      type: ['object', 'null'],
      properties: {
        contractNumber: { type: ['string', 'null'] },
        amount,
        currency: { type: ['string', 'null'] },
        paymentTerms: { type: ['string', 'null'] },
      },
    },
    quote: {
      type: ['object', 'null'],
      properties: { quoteNumber: { type: ['string', 'null'] }, total: amount, currency: { type: ['string', 'null'] } },
    },
    paymentCollection: { type: ['object', 'null'], properties: { remindOn: { type: ['string', 'null'] } } },
  },
} as const

export const errorCodes = [] as const

interface Variables {
  order: { orderNumber: string; customer?: { name?: string | null } | null }
  contract?: { contractNumber?: string | null; amount?: number | string | null; currency?: string | null; paymentTerms?: string | null } | null
  quote?: { quoteNumber?: string | null; total?: number | string | null; currency?: string | null } | null
  paymentCollection?: { remindOn?: string | null } | null
}

export interface InvoiceVariable {
  invoiceNumber: string
  amount: string
  currency: string
  issuedOn: string
  dueDate: string | null
  basis: 'contract' | 'quote'
  reference: string | null
}

const given = (value: unknown): value is number | string => (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value.trim() !== '')
const currencyOf = (value: unknown) => (typeof value === 'string' && /^[A-Z]{3}$/.test(value) ? value : 'CNY')

/** The payment term in days that contract terms name, e.g. "balance 60 days after delivery", "net 30", "60天"; the longest wins. */
export function termDays(paymentTerms: string | null | undefined): number | undefined {
  if (!paymentTerms) return undefined
  const days = [
    ...[...paymentTerms.matchAll(/(\d{1,3})\s*(?:calendar\s+)?(?:days?\b|天|日)/gi)].map((m) => Number(m[1])),
    ...[...paymentTerms.matchAll(/\bnet\s*(\d{1,3})\b/gi)].map((m) => Number(m[1])),
  ]
  return days.length ? Math.max(...days) : undefined
}

/** YYYY-MM-DD plus whole days. */
export function addDays(date: string, days: number): string {
  const at = new Date(`${date}T00:00:00Z`)
  at.setUTCDate(at.getUTCDate() + days)
  return at.toISOString().slice(0, 10)
}

/** Today in China (the company's calendar day), YYYY-MM-DD. */
const chinaToday = () => new Date().toLocaleDateString('en-CA', { timeZone: 'Asia/Shanghai' })

export function createHandler(
  { events, invoices, contracts, quotes, customers, orders }: Pick<WorkerDeps, 'events' | 'invoices' | 'contracts' | 'quotes' | 'customers' | 'orders'>,
  today: () => string = chinaToday,
): Handler<Variables, never> {
  /** Amount, currency and terms by the contract, else the quote. */
  async function basisOf(vars: Variables, trx: Knex) {
    const orderNumber = vars.order.orderNumber
    if (given(vars.contract?.amount)) {
      const c = vars.contract
      return { basis: 'contract' as const, amount: c.amount as number | string, currency: currencyOf(c.currency), reference: c.contractNumber ?? null, paymentTerms: c.paymentTerms ?? null }
    }
    const stored = await contracts.findByOrder(orderNumber, trx)
    if (stored) return { basis: 'contract' as const, amount: stored.amount, currency: currencyOf(stored.currency), reference: stored.contract_number, paymentTerms: stored.payment_terms }
    if (given(vars.quote?.total)) {
      const q = vars.quote
      return { basis: 'quote' as const, amount: q.total as number | string, currency: currencyOf(q.currency), reference: q.quoteNumber ?? null, paymentTerms: null }
    }
    const quote = await quotes.latestForOrder(orderNumber, trx)
    if (quote) return { basis: 'quote' as const, amount: quote.amount, currency: currencyOf(quote.currency), reference: quote.quote_number, paymentTerms: null }
    throw new Error(
      `order ${orderNumber} has neither a contract amount nor a quote to invoice: set the contract variable (contract.amount) or record the contract, then retry`,
    )
  }

  return async (job) => {
    const vars = job.variables
    const orderNumber = vars.order.orderNumber
    const invoice = await events.once(stepKey(job, orderNumber, 'D10 24B'), async (trx) => {
      const basis = await basisOf(vars, trx)
      const issuedOn = today()
      const days = termDays(basis.paymentTerms)
      let dueDate: string | null = null
      if (days !== undefined) dueDate = addDays(issuedOn, days)
      else if (given(vars.paymentCollection?.remindOn)) dueDate = calendarDate(String(vars.paymentCollection.remindOn))
      else {
        const name = vars.order.customer?.name
        const customer = name ? await customers.findByName(name, trx) : undefined
        if (customer?.payment_terms_days != null) dueDate = addDays(issuedOn, customer.payment_terms_days)
      }
      const { row } = await invoices.insertOrGet(
        { order_number: orderNumber, amount: fromCents(toCents(basis.amount)), currency: basis.currency, due_date: dueDate, job_key: job.key },
        trx,
      )
      await orders.advance(orderNumber, 'invoiced', {}, trx)
      const result: InvoiceVariable = {
        invoiceNumber: row.invoice_number,
        amount: fromCents(toCents(row.amount)),
        currency: row.currency,
        issuedOn,
        dueDate: row.due_date,
        basis: basis.basis,
        reference: basis.reference,
      }
      return { outcome: 'issued', result }
    })
    return complete({ invoice })
  }
}
