/** Return requests and their course through return-refund. */
import type { Knex } from 'knex'
import { insertOrGet, jsonColumns, type InsertOrGet } from './support.ts'

export type ReturnStatus = 'requested' | 'info-requested' | 'approved' | 'rejected' | 'received' | 'inspected' | 'refunded' | 'closed'

export interface ReturnRequest {
  /** The return number the request carries (business key of return-refund); generated when not given. */
  return_number?: string
  order_number: string
  reason?: string | null
  reason_kind?: string | null
  items?: unknown[]
}

export interface ReturnRow extends Required<ReturnRequest> {
  status: ReturnStatus
  refund_decision: Record<string, unknown> | null
  requested_at: Date
  updated_at: Date
}

/** Repository over `returns`; every method takes an optional transaction. */
export function createReturnRepository(db: Knex) {
  return {
    /**
     * Records a return request. With a return number, a repeat returns the first row; without
     * one, a new number is drawn (so pass it once known, e.g. from the returnRequest variable).
     */
    async insertOrGet(request: ReturnRequest, trx: Knex = db): Promise<InsertOrGet<ReturnRow>> {
      const values = jsonColumns(request, ['items'])
      if (!request.return_number) {
        const [row] = await trx('returns').insert(values).returning('*')
        return { row, created: true }
      }
      return insertOrGet<ReturnRow>(trx, 'returns', values, ['return_number'])
    },
    async find(returnNumber: string, trx: Knex = db): Promise<ReturnRow | undefined> {
      return trx('returns').where({ return_number: returnNumber }).first()
    },
    async listForOrder(orderNumber: string, trx: Knex = db): Promise<ReturnRow[]> {
      return trx('returns').where({ order_number: orderNumber }).orderBy('requested_at')
    },
    async setStatus(returnNumber: string, status: ReturnStatus, trx: Knex = db): Promise<void> {
      await trx('returns').where({ return_number: returnNumber }).update({ status, updated_at: trx.fn.now() })
    },
    /** Records what was received and in what state (D3 5). */
    async setItems(returnNumber: string, items: unknown[], trx: Knex = db): Promise<void> {
      await trx('returns').where({ return_number: returnNumber }).update({ items: JSON.stringify(items), updated_at: trx.fn.now() })
    },
    /** Records the refund-decision table's output. */
    async setRefundDecision(returnNumber: string, decision: Record<string, unknown>, trx: Knex = db): Promise<void> {
      await trx('returns')
        .where({ return_number: returnNumber })
        .update({ refund_decision: JSON.stringify(decision), updated_at: trx.fn.now() })
    },
  }
}

export type ReturnRepository = ReturnType<typeof createReturnRepository>
