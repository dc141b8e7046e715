/** Service requests, complaints and transport damage handled by after-sales-case. */
import type { Knex } from 'knex'
import { insertOrGet, jsonColumns, type InsertOrGet } from './support.ts'

export type CaseKind = 'service-request' | 'complaint' | 'damage'
export type CaseStatus = 'recorded' | 'forwarded' | 'contacted' | 'resolved' | 'closed'

export interface AfterSalesCase {
  /** The case number the process carries (business key); generated when not given. */
  case_number?: string
  order_number?: string | null
  shipment_number?: string | null
  kind: CaseKind
  description: string
  /** The fields of form QR/JY-2005. */
  service_request?: Record<string, unknown>
  carrier_claim?: Record<string, unknown> | null
}

export interface AfterSalesCaseRow extends Required<AfterSalesCase> {
  status: CaseStatus
  resolution: Record<string, unknown> | null
  created_at: Date
  updated_at: Date
  closed_at: Date | null
}

/** Repository over `after_sales_cases`; every method takes an optional transaction. */
export function createAfterSalesCaseRepository(db: Knex) {
  return {
    /** Records a case; with a case number, a repeat returns the first row. */
    async insertOrGet(afterSalesCase: AfterSalesCase, trx: Knex = db): Promise<InsertOrGet<AfterSalesCaseRow>> {
      const values = jsonColumns(afterSalesCase, ['service_request', 'carrier_claim'])
      if (!afterSalesCase.case_number) {
        const [row] = await trx('after_sales_cases').insert(values).returning('*')
        return { row, created: true }
      }
      return insertOrGet<AfterSalesCaseRow>(trx, 'after_sales_cases', values, ['case_number'])
    },
    async find(caseNumber: string, trx: Knex = db): Promise<AfterSalesCaseRow | undefined> {
      return trx('after_sales_cases').where({ case_number: caseNumber }).first()
    },
    async listForOrder(orderNumber: string, trx: Knex = db): Promise<AfterSalesCaseRow[]> {
      return trx('after_sales_cases').where({ order_number: orderNumber }).orderBy('created_at')
    },
    async setStatus(caseNumber: string, status: CaseStatus, trx: Knex = db): Promise<void> {
      await trx('after_sales_cases')
        .where({ case_number: caseNumber })
        .update({ status, updated_at: trx.fn.now(), ...(status === 'closed' ? { closed_at: trx.fn.now() } : {}) })
    },
    /** Records the resolution (answer, repair, replace, carrier claim) and marks the case resolved. */
    async resolve(caseNumber: string, resolution: Record<string, unknown>, trx: Knex = db): Promise<void> {
      await trx('after_sales_cases')
        .where({ case_number: caseNumber })
        .update({ resolution: JSON.stringify(resolution), status: 'resolved', updated_at: trx.fn.now() })
    },
  }
}

export type AfterSalesCaseRepository = ReturnType<typeof createAfterSalesCaseRepository>
