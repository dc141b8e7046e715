/** Payments received, one per payment-received message. */
import type { Knex } from 'knex'
import { insertOrGet, type InsertOrGet, type Money } from './support.ts'

export interface Payment {
  order_number: string
  kind: 'deposit' | 'balance' | 'full'
  amount: Money
  currency?: string
  reference?: string | null
  received_at: Date
  /** messageId of the payment-received message: the idempotency key. */
  message_id: string
}

export interface PaymentRow extends Required<Payment> {
  id: number
}

/** Repository over `payments`; every method takes an optional transaction. */
export function createPaymentRepository(db: Knex) {
  return {
    /** Records a payment; the same message again returns the first record. */
    async record(payment: Payment, trx: Knex = db): Promise<InsertOrGet<PaymentRow>> {
      return insertOrGet<PaymentRow>(trx, 'payments', { ...payment }, ['message_id'])
    },
    async listForOrder(orderNumber: string, trx: Knex = db): Promise<PaymentRow[]> {
      return trx('payments').where({ order_number: orderNumber }).orderBy('id')
    },
    /** Sum received for the order, exact (summed in the database), e.g. "1200.00". */
    async totalForOrder(orderNumber: string, trx: Knex = db): Promise<Money> {
      const row = await trx('payments').where({ order_number: orderNumber }).first(trx.raw('coalesce(sum(amount), 0)::numeric(12,2) as total'))
      return row.total
    },
  }
}

export type PaymentRepository = ReturnType<typeof createPaymentRepository>
