/** The sales contract of a contract order: drafted, signed, effective. */
import type { Knex } from 'knex'
import { insertOrGet, type InsertOrGet, type Money } from './support.ts'

export interface Contract {
  /** Generated (CT-YYYY-NNNNNN) when not given. */
  contract_number?: string
  /** One contract per order: the idempotency key. */
  order_number: string
  amount: Money
  currency?: string
  payment_terms?: string | null
}

export interface ContractRow extends Required<Contract> {
  drafted_at: Date
  signed_at: Date | null
  effective_at: Date | null
}

/** Repository over `contracts`; every method takes an optional transaction. */
export function createContractRepository(db: Knex) {
  return {
    /** Drafts the order's contract; a second draft for the order returns the first. */
    async draft(contract: Contract, trx: Knex = db): Promise<InsertOrGet<ContractRow>> {
      return insertOrGet<ContractRow>(trx, 'contracts', { ...contract }, ['order_number'])
    },
    async find(contractNumber: string, trx: Knex = db): Promise<ContractRow | undefined> {
      return trx('contracts').where({ contract_number: contractNumber }).first()
    },
    async findByOrder(orderNumber: string, trx: Knex = db): Promise<ContractRow | undefined> {
      return trx('contracts').where({ order_number: orderNumber }).first()
    },
    /** Records the signature; a repeat keeps the first time. */
    async markSigned(contractNumber: string, at: Date = new Date(), trx: Knex = db): Promise<ContractRow | undefined> {
      const [row] = await trx('contracts')
        .where({ contract_number: contractNumber })
        .update({ signed_at: trx.raw('coalesce(signed_at, ?)', [at]) })
        .returning('*')
      return row
    },
    /** Records that the contract took effect; a repeat keeps the first time. */
    async markEffective(contractNumber: string, at: Date = new Date(), trx: Knex = db): Promise<ContractRow | undefined> {
      const [row] = await trx('contracts')
        .where({ contract_number: contractNumber })
        .update({ effective_at: trx.raw('coalesce(effective_at, ?)', [at]) })
        .returning('*')
      return row
    },
  }
}

export type ContractRepository = ReturnType<typeof createContractRepository>
