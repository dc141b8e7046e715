/** The product catalogue: classification facts (regular, complete set) and prices. */
import type { Knex } from 'knex'
import type { Money } from './support.ts'

export interface Product {
  sku: string
  name: string
  model: string
  regular: boolean
  complete_set: boolean
  technical_files_on_record: boolean
  list_price: Money
  /** Percent, as a decimal string, e.g. "15.00". */
  special_modification_surcharge_pct: string
  unit: string
}

export interface ProductRow extends Product {
  created_at: Date
  updated_at: Date
}

/** Repository over `products`; every method takes an optional transaction. */
export function createProductRepository(db: Knex) {
  return {
    /** Inserts the product, or refreshes it when the SKU is known. */
    async upsert(product: Product, trx: Knex = db): Promise<ProductRow> {
      const [row] = await trx('products')
        .insert(product)
        .onConflict('sku')
        .merge({ ...product, updated_at: trx.fn.now() })
        .returning('*')
      return row
    },
    async find(sku: string, trx: Knex = db): Promise<ProductRow | undefined> {
      return trx('products').where({ sku }).first()
    },
    async findMany(skus: readonly string[], trx: Knex = db): Promise<ProductRow[]> {
      return trx('products').whereIn('sku', [...skus]).orderBy('sku')
    },
    /** The product an order line names by its model (orders are written with name and model). */
    async findByModel(model: string, trx: Knex = db): Promise<ProductRow | undefined> {
      return trx('products').whereRaw('lower(model) = lower(?)', [model]).orderBy('sku').first()
    },
    async list(trx: Knex = db): Promise<ProductRow[]> {
      return trx('products').orderBy('sku')
    },
  }
}

export type ProductRepository = ReturnType<typeof createProductRepository>
