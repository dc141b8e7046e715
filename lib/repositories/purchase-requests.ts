/** Requests to cover a stock shortage by group transfer or purchase, raised by procurement-request. */
import type { Knex } from 'knex'
import { insertOrGet, withCalendarDates, type CalendarDate, type InsertOrGet } from './support.ts'

export type PurchaseRequestStatus = 'requested' | 'received' | 'returned' | 'withdrawn'

export interface PurchaseRequest {
  /** Generated (PR-YYYY-NNNNNN) when not given; the goods-received message correlates on it. */
  request_number?: string
  order_number: string
  sku: string
  quantity: number
  source: 'group-transfer' | 'purchase'
  supplier?: string | null
  planned_arrival?: CalendarDate | null
  /** The procurement-request job and the shortage's position in it: the idempotency key. */
  job_key: string
  shortage_index: number
}

export interface PurchaseRequestRow extends Required<PurchaseRequest> {
  status: PurchaseRequestStatus
  requested_at: Date
  updated_at: Date
}

const fromDb = withCalendarDates<PurchaseRequestRow>('planned_arrival')

/** Repository over `purchase_requests`; every method takes an optional transaction. */
export function createPurchaseRequestRepository(db: Knex) {
  return {
    /** Raises the request for one shortage of a job; a redelivered job gets the first request back. */
    async insertOrGet(request: PurchaseRequest, trx: Knex = db): Promise<InsertOrGet<PurchaseRequestRow>> {
      const result = await insertOrGet<Record<string, unknown>>(trx, 'purchase_requests', { ...request }, ['job_key', 'shortage_index'])
      return { row: fromDb(result.row), created: result.created }
    },
    async find(requestNumber: string, trx: Knex = db): Promise<PurchaseRequestRow | undefined> {
      const row = await trx('purchase_requests').where({ request_number: requestNumber }).first()
      return row && fromDb(row)
    },
    async listForOrder(orderNumber: string, trx: Knex = db): Promise<PurchaseRequestRow[]> {
      return (await trx('purchase_requests').where({ order_number: orderNumber }).orderBy(['requested_at', 'shortage_index'])).map(fromDb)
    },
    async setStatus(requestNumber: string, status: PurchaseRequestStatus, trx: Knex = db): Promise<void> {
      await trx('purchase_requests').where({ request_number: requestNumber }).update({ status, updated_at: trx.fn.now() })
    },
    /** Withdraws the order's requests not yet received (cancellation); returns how many. */
    async withdrawOpenForOrder(orderNumber: string, trx: Knex = db): Promise<number> {
      return trx('purchase_requests')
        .where({ order_number: orderNumber, status: 'requested' })
        .update({ status: 'withdrawn', updated_at: trx.fn.now() })
    },
  }
}

export type PurchaseRequestRepository = ReturnType<typeof createPurchaseRequestRepository>
