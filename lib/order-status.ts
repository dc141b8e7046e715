/**
 * The order statuses (README "Order statuses"): one set, in the order an order passes through
 * them, each with its rank. A status is written by the step that causes the change, in the
 * transaction of that step's `order_events` row, and only forwards: a write whose rank is below
 * the order's current one is ignored, so a task delivered twice (or late) never moves an order
 * back. Statuses of one rank replace each other (incomplete ↔ validated while an order is
 * corrected). The CHECK constraint of migration 20261204180000 holds the same list.
 */
import type { Knex } from 'knex'

export const orderStatuses = {
  received: 0,
  incomplete: 10,
  validated: 10,
  quoted: 30,
  'production-instructed': 40,
  'stock-short': 50,
  'stock-reserved': 50,
  shipped: 60,
  delivered: 70,
  invoiced: 75,
  completed: 80,
  returned: 85,
  'partially-refunded': 90,
  refunded: 95,
  closed: 100,
  declined: 100,
  cancelled: 100,
} as const

export type OrderStatus = keyof typeof orderStatuses

export const isOrderStatus = (value: unknown): value is OrderStatus => typeof value === 'string' && Object.hasOwn(orderStatuses, value)

const rankOf = (status: string): number => (isOrderStatus(status) ? orderStatuses[status] : -1)

/** Statuses at or after shipment: a cancellation is refused (the goods are returned instead). */
export const shippedOrLater = (Object.keys(orderStatuses) as OrderStatus[]).filter((s) => rankOf(s) >= orderStatuses.shipped)

/** Statuses in which the goods have reached the customer and not all of the payment went back: a return may be asked for. */
export const returnable: readonly OrderStatus[] = ['delivered', 'invoiced', 'completed', 'returned', 'partially-refunded']

/** Final statuses: the order's own process has ended (a return may still follow completed). */
export const finalStatuses: readonly OrderStatus[] = ['completed', 'returned', 'partially-refunded', 'refunded', 'closed', 'declined', 'cancelled']

/** Columns recorded with a status change (decisions the order's steps make). */
export interface OrderDecisions {
  classification?: 'regular' | 'non-regular' | null
  review_outcome?: 'accepted' | 'declined' | null
}

/** What `advanceStatus` did: the status before and after (equal when the write was ignored). */
export interface StatusChange {
  from: string
  to: string
  moved: boolean
}

/**
 * Moves the order to `status` unless it already stands at a later one; records the decisions
 * given (non-null ones) either way. Locks the order row, so two steps of one order at once apply
 * in turn. Run it inside the transaction that writes the step's history row.
 */
export async function advanceStatus(trx: Knex, orderNumber: string, status: OrderStatus, decisions: OrderDecisions = {}): Promise<StatusChange> {
  const row: { status: string } | undefined = await trx('orders').where({ order_number: orderNumber }).forUpdate().first('status')
  if (!row) throw new Error(`order ${orderNumber} is not in the order database`)
  const moved = rankOf(status) >= rankOf(row.status) && status !== row.status
  const recorded = Object.fromEntries(Object.entries(decisions).filter(([, v]) => v !== null && v !== undefined))
  if (moved || Object.keys(recorded).length) {
    await trx('orders')
      .where({ order_number: orderNumber })
      .update({ ...recorded, ...(moved ? { status } : {}), updated_at: trx.fn.now() })
  }
  return { from: row.status, to: moved ? status : row.status, moved }
}
