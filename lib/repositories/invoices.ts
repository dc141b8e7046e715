/** Invoices issued by invoice-issue. */
import type { Knex } from 'knex'
import { insertOrGet, withCalendarDates, type CalendarDate, type InsertOrGet, type Money } from './support.ts'

export interface Invoice {
  /** Generated (IN-YYYY-NNNNNN) when not given. */
  invoice_number?: string
  order_number: string
  amount: Money
  currency?: string
  issued_at?: Date
  due_date?: CalendarDate | null
  /** The invoice-issue job: the idempotency key. */
  job_key: string
}

export interface InvoiceRow extends Required<Invoice> {
  received_by_customer_at: Date | null
}

const fromDb = withCalendarDates<InvoiceRow>('due_date')

/** Repository over `invoices`; every method takes an optional transaction. */
export function createInvoiceRepository(db: Knex) {
  return {
    /** Issues the invoice of a job; a redelivered job gets the first invoice back. */
    async insertOrGet(invoice: Invoice, trx: Knex = db): Promise<InsertOrGet<InvoiceRow>> {
      const result = await insertOrGet<Record<string, unknown>>(trx, 'invoices', { ...invoice }, ['job_key'])
      return { row: fromDb(result.row), created: result.created }
    },
    async listForOrder(orderNumber: string, trx: Knex = db): Promise<InvoiceRow[]> {
      return (await trx('invoices').where({ order_number: orderNumber }).orderBy('issued_at')).map(fromDb)
    },
    /** Records the customer's receipt of the invoice (D10 24B); a repeat keeps the first time. */
    async markReceived(invoiceNumber: string, at: Date = new Date(), trx: Knex = db): Promise<void> {
      await trx('invoices')
        .where({ invoice_number: invoiceNumber })
        .update({ received_by_customer_at: trx.raw('coalesce(received_by_customer_at, ?)', [at]) })
    },
  }
}

export type InvoiceRepository = ReturnType<typeof createInvoiceRepository>
