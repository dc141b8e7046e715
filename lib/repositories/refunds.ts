/** Refunds through the payment provider, exactly once per return or cancellation. */
import type { Knex } from 'knex'
import { insertOrGet, toCents, type InsertOrGet, type Money } from './support.ts'

export type RefundStatus = 'requested' | 'succeeded' | 'declined'

export interface Refund {
  /** Generated (RF-YYYY-NNNNNN) when not given. */
  refund_number?: string
  order_number: string
  return_number?: string | null
  amount: Money
  currency?: string
  /** `refundIdempotencyKey(...)`: one refund per return or cancellation. */
  idempotency_key: string
}

export interface RefundRow extends Required<Refund> {
  status: RefundStatus
  provider_reference: string | null
  failure_reason: string | null
  requested_at: Date
  completed_at: Date | null
}

/**
 * The key of the one refund a return or a cancelled order may have: `return:<return number>`,
 * else `cancellation:<order number>`. It is also the Idempotency-Key sent to the provider.
 */
export function refundIdempotencyKey(of: { returnNumber?: string | null; orderNumber: string }): string {
  return of.returnNumber ? `return:${of.returnNumber}` : `cancellation:${of.orderNumber}`
}

/** Repository over `refunds`; every method takes an optional transaction. */
export function createRefundRepository(db: Knex) {
  return {
    /**
     * Records the refund before the provider is asked; a second attempt for the same return or
     * cancellation (a redelivered job, a retried incident) gets the first row back, with its
     * status, and must not ask the provider again unless that row is still `requested`.
     */
    async insertOrGet(refund: Refund, trx: Knex = db): Promise<InsertOrGet<RefundRow>> {
      return insertOrGet<RefundRow>(trx, 'refunds', { ...refund }, ['idempotency_key'])
    },
    /**
     * What the order may still get back, in cents: its `payments` rows minus the refunds other
     * than `exceptKey` that went back or are under way (succeeded or requested). A refund recorded
     * from it is recorded in a transaction that locks the order row first, so two refunds of one
     * order at once see each other.
     */
    async refundableCents(orderNumber: string, exceptKey: string, trx: Knex = db): Promise<{ paid: number; refunded: number; refundable: number }> {
      const paidRow = await trx('payments').where({ order_number: orderNumber }).first(trx.raw('coalesce(sum(amount), 0)::numeric(12,2)::text as total'))
      const refundedRow = await trx('refunds')
        .where({ order_number: orderNumber })
        .whereIn('status', ['requested', 'succeeded'])
        .whereNot({ idempotency_key: exceptKey })
        .first(trx.raw('coalesce(sum(amount), 0)::numeric(12,2)::text as total'))
      const paid = toCents(paidRow.total)
      const refunded = toCents(refundedRow.total)
      return { paid, refunded, refundable: Math.max(0, paid - refunded) }
    },
    async findByIdempotencyKey(key: string, trx: Knex = db): Promise<RefundRow | undefined> {
      return trx('refunds').where({ idempotency_key: key }).first()
    },
    async listForOrder(orderNumber: string, trx: Knex = db): Promise<RefundRow[]> {
      return trx('refunds').where({ order_number: orderNumber }).orderBy('requested_at')
    },
    /**
     * Runs `work` in a transaction that holds the refund's row (`select … for update`), with the
     * row as it is once held: the provider is called inside it, so a second run of the same
     * refund (a job re-activated after its timeout while the first still waits for the provider)
     * waits here, and then finds the outcome the first one recorded instead of calling again.
     */
    async hold<R>(refundNumber: string, work: (row: RefundRow, trx: Knex.Transaction) => Promise<R>): Promise<R> {
      return db.transaction(async (trx) => {
        const row = await trx('refunds').where({ refund_number: refundNumber }).forUpdate().first()
        if (!row) throw new Error(`refunds: no row ${refundNumber} to hold (was it deleted?)`)
        return work(row as RefundRow, trx)
      })
    },
    /** The provider refunded: records its reference. */
    async markSucceeded(refundNumber: string, providerReference: string, trx: Knex = db): Promise<RefundRow | undefined> {
      const [row] = await trx('refunds')
        .where({ refund_number: refundNumber })
        .update({ status: 'succeeded', provider_reference: providerReference, completed_at: trx.fn.now() })
        .returning('*')
      return row
    },
    /** The provider declined (REFUND_DECLINED): records why. */
    async markDeclined(refundNumber: string, reason: string, trx: Knex = db): Promise<RefundRow | undefined> {
      const [row] = await trx('refunds')
        .where({ refund_number: refundNumber })
        .update({ status: 'declined', failure_reason: reason, completed_at: trx.fn.now() })
        .returning('*')
      return row
    },
  }
}

export type RefundRepository = ReturnType<typeof createRefundRepository>
