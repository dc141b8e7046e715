/** Production instructions (生产指令单) entered by production-instruct. */
import type { Knex } from 'knex'
import { insertOrGet, jsonColumns, type InsertOrGet } from './support.ts'

export type ProductionOrderStatus = 'instructed' | 'completed' | 'withdrawn'

export interface ProductionOrder {
  /** Generated (MO-YYYY-NNNNNN) when not given. */
  production_order_number?: string
  order_number: string
  lines?: Array<Record<string, unknown>>
  instructed_at?: Date
  /** The production-instruct job: the idempotency key. */
  job_key: string
}

export interface ProductionOrderRow extends Required<ProductionOrder> {
  status: ProductionOrderStatus
}

/** Repository over `production_orders`; every method takes an optional transaction. */
export function createProductionOrderRepository(db: Knex) {
  return {
    /** Enters the instruction of a job; a redelivered job gets its first instruction back. */
    async insertOrGet(order: ProductionOrder, trx: Knex = db): Promise<InsertOrGet<ProductionOrderRow>> {
      return insertOrGet<ProductionOrderRow>(trx, 'production_orders', jsonColumns(order, ['lines']), ['job_key'])
    },
    async listForOrder(orderNumber: string, trx: Knex = db): Promise<ProductionOrderRow[]> {
      return trx('production_orders').where({ order_number: orderNumber }).orderBy('instructed_at')
    },
    async setStatus(productionOrderNumber: string, status: ProductionOrderStatus, trx: Knex = db): Promise<void> {
      await trx('production_orders').where({ production_order_number: productionOrderNumber }).update({ status })
    },
    /** Withdraws the order's open instructions (cancellation); returns how many. */
    async withdrawForOrder(orderNumber: string, trx: Knex = db): Promise<number> {
      return trx('production_orders').where({ order_number: orderNumber, status: 'instructed' }).update({ status: 'withdrawn' })
    },
  }
}

export type ProductionOrderRepository = ReturnType<typeof createProductionOrderRepository>
