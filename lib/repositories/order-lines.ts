/** The lines of an order as validated; replaced as a whole when the order is corrected. */
import type { Knex } from 'knex'
import type { Money } from './support.ts'

export interface OrderLine {
  line_no: number
  sku?: string | null
  product_name: string
  model: string
  quantity: number
  unit_price?: Money | null
}

export interface OrderLineRow extends Required<OrderLine> {
  order_number: string
}

/** Repository over `order_lines`; every method takes an optional transaction. */
export function createOrderLineRepository(db: Knex) {
  return {
    /** Makes the stored lines exactly `lines` (a corrected order may have fewer). */
    async replaceForOrder(orderNumber: string, lines: readonly OrderLine[], trx: Knex = db): Promise<OrderLineRow[]> {
      await trx('order_lines').where({ order_number: orderNumber }).delete()
      if (lines.length === 0) return []
      return trx('order_lines')
        .insert(lines.map((line) => ({ ...line, order_number: orderNumber })))
        .returning('*')
    },
    async listForOrder(orderNumber: string, trx: Knex = db): Promise<OrderLineRow[]> {
      return trx('order_lines').where({ order_number: orderNumber }).orderBy('line_no')
    },
    /** Records the quoted unit price of a line. */
    async setUnitPrice(orderNumber: string, lineNo: number, unitPrice: Money, trx: Knex = db): Promise<void> {
      await trx('order_lines').where({ order_number: orderNumber, line_no: lineNo }).update({ unit_price: unitPrice })
    },
  }
}

export type OrderLineRepository = ReturnType<typeof createOrderLineRepository>
