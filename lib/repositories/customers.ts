/** Customers of both channels. */
import type { Knex } from 'knex'

export interface Customer {
  customer_number: string
  name: string
  channel: 'contract' | 'shop'
  contact_person?: string | null
  phone?: string | null
  email?: string | null
  address?: string | null
  payment_terms_days?: number | null
}

export interface CustomerRow extends Required<Customer> {
  created_at: Date
  updated_at: Date
}

/** Repository over `customers`; every method takes an optional transaction. */
export function createCustomerRepository(db: Knex) {
  return {
    /** Inserts the customer, or refreshes the given fields when the number is known. */
    async upsert(customer: Customer, trx: Knex = db): Promise<CustomerRow> {
      const [row] = await trx('customers')
        .insert(customer)
        .onConflict('customer_number')
        .merge({ ...customer, updated_at: trx.fn.now() })
        .returning('*')
      return row
    },
    async find(customerNumber: string, trx: Knex = db): Promise<CustomerRow | undefined> {
      return trx('customers').where({ customer_number: customerNumber }).first()
    },
    /** The customer an order names, matched on the name as written (orders carry the name only). */
    async findByName(name: string, trx: Knex = db): Promise<CustomerRow | undefined> {
      return trx('customers').where({ name }).orderBy('customer_number').first()
    },
  }
}

export type CustomerRepository = ReturnType<typeof createCustomerRepository>
