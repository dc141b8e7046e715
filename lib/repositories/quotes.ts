/** Quotes made by quote-calculate. */
import type { Knex } from 'knex'
import { insertOrGet, jsonColumns, type InsertOrGet, type Money } from './support.ts'

export interface QuoteLine {
  line_no: number
  sku: string | null
  quantity: number
  unit_price: Money
  surcharge_pct: string
  line_total: Money
}

export interface Quote {
  /** Generated (QT-YYYY-NNNNNN) when not given. */
  quote_number?: string
  order_number: string
  basis: 'price-list' | 'special-modification'
  amount: Money
  currency?: string
  lines: QuoteLine[]
  /** The quote-calculate job: the idempotency key. */
  job_key: string
}

export interface QuoteRow extends Required<Quote> {
  created_at: Date
}

/** Repository over `quotes`; every method takes an optional transaction. */
export function createQuoteRepository(db: Knex) {
  return {
    /** Stores the quote of a job; a redelivered job gets its first quote back. */
    async insertOrGet(quote: Quote, trx: Knex = db): Promise<InsertOrGet<QuoteRow>> {
      return insertOrGet<QuoteRow>(trx, 'quotes', jsonColumns(quote, ['lines']), ['job_key'])
    },
    async find(quoteNumber: string, trx: Knex = db): Promise<QuoteRow | undefined> {
      return trx('quotes').where({ quote_number: quoteNumber }).first()
    },
    /** The order's current quote: the latest one made. */
    async latestForOrder(orderNumber: string, trx: Knex = db): Promise<QuoteRow | undefined> {
      return trx('quotes').where({ order_number: orderNumber }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'quote_number', order: 'desc' }]).first()
    },
  }
}

export type QuoteRepository = ReturnType<typeof createQuoteRepository>
