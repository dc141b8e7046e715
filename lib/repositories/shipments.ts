/** Carrier bookings made by shipping-book and what became of them. */
import type { Knex } from 'knex'
import { insertOrGet, jsonColumns, withCalendarDates, type CalendarDate, type InsertOrGet } from './support.ts'

export type ShipmentStatus = 'booked' | 'dispatched' | 'delivered' | 'damaged' | 'refused'

export interface Shipment {
  /** Generated (SH-YYYY-NNNNNN) when not given. */
  shipment_number?: string
  order_number: string
  carrier: string
  tracking_number?: string | null
  shipping_method?: string | null
  delivery_address?: Record<string, unknown> | null
  booked_at?: Date
  expected_delivery_date?: CalendarDate | null
  /** Sent to the carrier API as Idempotency-Key, e.g. `shipping-book:<element instance key>`. */
  idempotency_key: string
}

export interface ShipmentRow extends Required<Shipment> {
  status: ShipmentStatus
  dispatched_at: Date | null
  delivered_at: Date | null
  damage_description: string | null
  updated_at: Date
}

/** What a status change may record besides the status. */
export interface ShipmentUpdate {
  dispatched_at?: Date
  delivered_at?: Date
  damage_description?: string
}

const fromDb = withCalendarDates<ShipmentRow>('expected_delivery_date')

/** Repository over `shipments`; every method takes an optional transaction. */
export function createShipmentRepository(db: Knex) {
  return {
    /** Stores a booking; a redelivered job (same idempotency key) gets the first booking back. */
    async insertOrGet(shipment: Shipment, trx: Knex = db): Promise<InsertOrGet<ShipmentRow>> {
      const result = await insertOrGet<Record<string, unknown>>(trx, 'shipments', jsonColumns(shipment, ['delivery_address']), ['idempotency_key'])
      return { row: fromDb(result.row), created: result.created }
    },
    /** The booking made under a key, e.g. to skip the carrier call on a redelivered job. */
    async findByIdempotencyKey(key: string, trx: Knex = db): Promise<ShipmentRow | undefined> {
      const row = await trx('shipments').where({ idempotency_key: key }).first()
      return row && fromDb(row)
    },
    async find(shipmentNumber: string, trx: Knex = db): Promise<ShipmentRow | undefined> {
      const row = await trx('shipments').where({ shipment_number: shipmentNumber }).first()
      return row && fromDb(row)
    },
    async listForOrder(orderNumber: string, trx: Knex = db): Promise<ShipmentRow[]> {
      return (await trx('shipments').where({ order_number: orderNumber }).orderBy('booked_at')).map(fromDb)
    },
    /**
     * Runs `work` in a transaction that holds the shipment's row (`select … for update`), with the
     * row as it is once held: the carrier is called inside it, so a second run of the same booking
     * (a job re-activated after its timeout while the first still waits for the carrier) waits
     * here, and then finds the booking the first one recorded instead of booking again.
     */
    async hold<R>(shipmentNumber: string, work: (row: ShipmentRow, trx: Knex.Transaction) => Promise<R>): Promise<R> {
      return db.transaction(async (trx) => {
        const row = await trx('shipments').where({ shipment_number: shipmentNumber }).forUpdate().first()
        if (!row) throw new Error(`shipments: no row ${shipmentNumber} to hold (was it deleted?)`)
        return work(fromDb(row), trx)
      })
    },
    async setStatus(shipmentNumber: string, status: ShipmentStatus, update: ShipmentUpdate = {}, trx: Knex = db): Promise<ShipmentRow | undefined> {
      const [row] = await trx('shipments')
        .where({ shipment_number: shipmentNumber })
        .update({ ...update, status, updated_at: trx.fn.now() })
        .returning('*')
      return row && fromDb(row)
    },
    /** The order's outbound bookings (shipping-book's, not return pickups) still under way are delivered now. */
    async markDelivered(orderNumber: string, trx: Knex = db): Promise<number> {
      return trx('shipments')
        .where({ order_number: orderNumber })
        .whereIn('status', ['booked', 'dispatched'])
        .whereLike('idempotency_key', 'shipping-book:%')
        .update({ status: 'delivered', delivered_at: trx.fn.now(), updated_at: trx.fn.now() })
    },
  }
}

export type ShipmentRepository = ReturnType<typeof createShipmentRepository>
