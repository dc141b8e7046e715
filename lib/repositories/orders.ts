/** Orders: the order row that every step reads and updates. */
import type { Knex } from 'knex'
import { advanceStatus, type OrderDecisions, type OrderStatus, type StatusChange } from '../order-status.ts'

export interface OrderRow {
  order_number: string
  channel: 'contract' | 'shop'
  customer_name: string | null
  priority: 'normal' | 'urgent'
  status: OrderStatus
  classification: string | null
  review_outcome: 'accepted' | 'declined' | null
  data: Record<string, unknown>
  process_instance_key: string | null
}

export type OrderUpsert = Omit<OrderRow, 'classification' | 'review_outcome'>

/** Repository over `orders`; every method takes an optional transaction. */
export function createOrderRepository(db: Knex) {
  return {
    /**
     * Inserts the order, or refreshes its data when it is already known; the status of a known
     * order moves only forwards (`advance`), so a late redelivery never sets it back.
     */
    async upsert(order: OrderUpsert, trx: Knex = db): Promise<void> {
      const { status, ...refreshed } = order
      await trx('orders')
        .insert(order)
        .onConflict('order_number')
        .merge({ ...refreshed, updated_at: trx.fn.now() })
      await advanceStatus(trx, order.order_number, status)
    },
    /** Moves the order forwards to `status` and records the decisions given (lib/order-status.ts). */
    async advance(orderNumber: string, status: OrderStatus, decisions: OrderDecisions = {}, trx: Knex = db): Promise<StatusChange> {
      return advanceStatus(trx, orderNumber, status, decisions)
    },
    async find(orderNumber: string, trx: Knex = db): Promise<OrderRow | undefined> {
      return trx('orders').where({ order_number: orderNumber }).first()
    },
  }
}

export type OrderRepository = ReturnType<typeof createOrderRepository>
