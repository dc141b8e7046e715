/** Decisions of the order review user tasks, one row per completed task. */
import type { Knex } from 'knex'
import { insertOrGet, withCalendarDates, jsonColumns, type CalendarDate, type InsertOrGet } from './support.ts'

export type ReviewKind = 'urgent-assessment' | 'workshop' | 'engineering' | 'product-plan' | 'sales-manager' | 'gm' | 'decline'

export interface Review {
  order_number: string
  kind: ReviewKind
  decision: string
  delivery_date?: CalendarDate | null
  decided_by: string
  decided_at?: Date
  comment?: string | null
  details?: Record<string, unknown>
  /** The user task's element instance: the idempotency key. */
  element_instance_key: string
}

export interface ReviewRow extends Required<Review> {
  id: number
}

const fromDb = withCalendarDates<ReviewRow>('delivery_date')

/** Repository over `reviews`; every method takes an optional transaction. */
export function createReviewRepository(db: Knex) {
  return {
    /** Records a completed review task; a repeat for the same element instance returns the first. */
    async record(review: Review, trx: Knex = db): Promise<InsertOrGet<ReviewRow>> {
      const result = await insertOrGet<Record<string, unknown>>(trx, 'reviews', jsonColumns(review, ['details']), ['element_instance_key'])
      return { row: fromDb(result.row), created: result.created }
    },
    async listForOrder(orderNumber: string, trx: Knex = db): Promise<ReviewRow[]> {
      return (await trx('reviews').where({ order_number: orderNumber }).orderBy('id')).map(fromDb)
    },
    /** The latest review of a kind, e.g. the workshop's committed delivery date. */
    async latest(orderNumber: string, kind: ReviewKind, trx: Knex = db): Promise<ReviewRow | undefined> {
      const row = await trx('reviews').where({ order_number: orderNumber, kind }).orderBy('id', 'desc').first()
      return row && fromDb(row)
    },
  }
}

export type ReviewRepository = ReturnType<typeof createReviewRepository>
