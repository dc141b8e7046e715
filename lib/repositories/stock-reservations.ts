/** Stock held for orders: reserved by inventory-check, released on cancellation, consumed on shipment. */
import type { Knex } from 'knex'

export type ReservationStatus = 'reserved' | 'released' | 'consumed'

export interface StockReservationRow {
  id: number
  order_number: string
  sku: string
  quantity: number
  status: ReservationStatus
  job_key: string | null
  reserved_at: Date
  closed_at: Date | null
}

export interface ReservationRequest {
  order_number: string
  sku: string
  quantity: number
  job_key?: string | null
}

export interface ReserveResult {
  /** The active reservation of the order for the SKU; undefined when the stock was short. */
  reservation?: StockReservationRow
  /** true when this call made the reservation, false when the order already held one. */
  created: boolean
  /** Units available to other orders after this call. */
  available: number
}

/** Repository over `stock_reservations`; every method takes an optional transaction. */
export function createStockReservationRepository(db: Knex) {
  return {
    /**
     * Holds `quantity` units of a SKU for an order, unless the order already holds that SKU
     * (one active reservation per order and SKU: a repeated check finds it). The stock row is
     * locked for the check, so two orders cannot both take the last units. Call inside a
     * transaction (e.g. `events.once`) so the lock lasts until the history row is written.
     */
    async reserve(request: ReservationRequest, trx: Knex = db): Promise<ReserveResult> {
      const stock = await trx('stock').where({ sku: request.sku }).forUpdate().first('on_hand')
      const onHand: number = stock?.on_hand ?? 0
      const held = await trx('stock_reservations').where({ sku: request.sku, status: 'reserved' }).sum({ total: 'quantity' }).first()
      const reserved = Number(held?.total ?? 0)
      const existing: StockReservationRow | undefined = await trx('stock_reservations')
        .where({ order_number: request.order_number, sku: request.sku, status: 'reserved' })
        .first()
      if (existing) return { reservation: existing, created: false, available: onHand - reserved }
      if (onHand - reserved < request.quantity) return { created: false, available: onHand - reserved }
      const [reservation] = await trx('stock_reservations')
        .insert({ ...request, status: 'reserved' })
        .returning('*')
      return { reservation, created: true, available: onHand - reserved - request.quantity }
    },
    async listForOrder(orderNumber: string, trx: Knex = db): Promise<StockReservationRow[]> {
      return trx('stock_reservations').where({ order_number: orderNumber }).orderBy('id')
    },
    /** Gives back every active reservation of the order (cancellation); returns how many. */
    async releaseForOrder(orderNumber: string, trx: Knex = db): Promise<number> {
      return trx('stock_reservations')
        .where({ order_number: orderNumber, status: 'reserved' })
        .update({ status: 'released', closed_at: trx.fn.now() })
    },
    /**
     * Ships the held stock: takes the units off `stock.on_hand` and marks the reservations
     * consumed, together; returns how many reservations it consumed (0 on a repeat).
     */
    async consumeForOrder(orderNumber: string, trx: Knex = db): Promise<number> {
      const consumed: StockReservationRow[] = await trx('stock_reservations')
        .where({ order_number: orderNumber, status: 'reserved' })
        .update({ status: 'consumed', closed_at: trx.fn.now() })
        .returning('*')
      for (const reservation of consumed) {
        await trx('stock')
          .where({ sku: reservation.sku })
          .update({ on_hand: trx.raw('on_hand - ?', [reservation.quantity]), updated_at: trx.fn.now() })
      }
      return consumed.length
    },
  }
}

export type StockReservationRepository = ReturnType<typeof createStockReservationRepository>
