/** Finished-goods stock per SKU; what is available is on hand minus active reservations. */
import type { Knex } from 'knex'

export interface StockRow {
  sku: string
  on_hand: number
  location: string | null
  updated_at: Date
}

/** Stock one group company holds of a SKU and can transfer (`group_stock`). */
export interface GroupStock {
  company: string
  sku: string
  available: number
}

export interface Availability {
  sku: string
  on_hand: number
  reserved: number
  available: number
}

/** Repository over `stock`; every method takes an optional transaction. */
export function createStockRepository(db: Knex) {
  return {
    async find(sku: string, trx: Knex = db): Promise<StockRow | undefined> {
      return trx('stock').where({ sku }).first()
    },
    /** Sets the counted stock of a SKU (stock-take, seed). */
    async setOnHand(sku: string, onHand: number, location: string | null = null, trx: Knex = db): Promise<StockRow> {
      const [row] = await trx('stock')
        .insert({ sku, on_hand: onHand, location })
        .onConflict('sku')
        .merge({ on_hand: onHand, location, updated_at: trx.fn.now() })
        .returning('*')
      return row
    },
    /** Adds (goods received) or removes units; refuses to go below zero (a CHECK constraint). */
    async adjust(sku: string, delta: number, trx: Knex = db): Promise<StockRow> {
      const [row] = await trx('stock')
        .insert({ sku, on_hand: delta })
        .onConflict('sku')
        .merge({ on_hand: trx.raw('stock.on_hand + excluded.on_hand'), updated_at: trx.fn.now() })
        .returning('*')
      return row
    },
    /** On hand, reserved and available per SKU asked for; a SKU without stock row has 0. */
    async availability(skus: readonly string[], trx: Knex = db): Promise<Availability[]> {
      const rows = await trx
        .select(
          'p.sku',
          trx.raw('coalesce(s.on_hand, 0)::int as on_hand'),
          trx.raw(`coalesce((select sum(r.quantity) from stock_reservations r where r.sku = p.sku and r.status = 'reserved'), 0)::int as reserved`),
        )
        .from('products as p')
        .leftJoin('stock as s', 's.sku', 'p.sku')
        .whereIn('p.sku', [...skus])
        .orderBy('p.sku')
      return rows.map((row: { sku: string; on_hand: number; reserved: number }) => ({ ...row, available: row.on_hand - row.reserved }))
    },
    /** What the other group companies hold of a SKU (D2 二.一.3), the largest holder first. */
    async groupStock(sku: string, trx: Knex = db): Promise<GroupStock[]> {
      return trx('group_stock').where({ sku }).andWhere('available', '>', 0).orderBy([{ column: 'available', order: 'desc' }, 'company']).select('company', 'sku', 'available')
    },
    /** Records what a group company holds of a SKU (procurement's enquiry, seed). */
    async setGroupStock(stock: GroupStock, trx: Knex = db): Promise<void> {
      await trx('group_stock').insert(stock).onConflict(['company', 'sku']).merge({ available: stock.available, updated_at: trx.fn.now() })
    },
  }
}

export type StockRepository = ReturnType<typeof createStockRepository>
