/** Orders: the order row that every step reads and updates. */
import type { Knex } from 'knex'

export interface OrderRow {
  order_number: string
  channel: 'contract' | 'shop'
  customer_name: string | null
  priority: 'normal' | 'urgent'
  status: string
  classification: string | null
  data: Record<string, unknown>
  process_instance_key: string | null
}

export type OrderUpsert = Omit<OrderRow, 'classification'>

/** Repository over `orders`; every method takes an optional transaction. */
export function createOrderRepository(db: Knex) {
  return {
    /** Inserts the order, or refreshes its data and status when it is already known. */
    async upsert(order: OrderUpsert, trx: Knex = db): Promise<void> {
      await trx('orders')
        .insert(order)
        .onConflict('order_number')
        .merge({ ...order, updated_at: trx.fn.now() })
    },
    async setStatus(orderNumber: string, status: string, trx: Knex = db): Promise<void> {
      await trx('orders').where({ order_number: orderNumber }).update({ status, updated_at: trx.fn.now() })
    },
    async find(orderNumber: string, trx: Knex = db): Promise<OrderRow | undefined> {
      return trx('orders').where({ order_number: orderNumber }).first()
    },
  }
}

export type OrderRepository = ReturnType<typeof createOrderRepository>
