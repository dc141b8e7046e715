/** Inspection records and the qc-verdict on them. */
import type { Knex } from 'knex'
import { insertOrGet, jsonColumns, type InsertOrGet } from './support.ts'

export type Verdict = 'pass' | 'rework' | 'reject' | 'escalate'

export interface Inspection {
  order_number: string
  purchase_request_number?: string | null
  kind: 'incoming' | 'final'
  lot_size: number
  sample_size: number
  defects: number
  /** Decimal string 0..1 with four places, e.g. "0.9500". */
  pass_rate: string
  verdict: Verdict
  reason?: string | null
  items?: unknown[]
  inspected_by?: string | null
  /** The qc-verdict job: the idempotency key. */
  job_key: string
}

export interface InspectionRow extends Required<Inspection> {
  id: number
  created_at: Date
}

/** Pass rate of a sample as the decimal string the column stores (1 for an empty sample). */
export function passRate(sampleSize: number, defects: number): string {
  return sampleSize === 0 ? '1.0000' : ((sampleSize - defects) / sampleSize).toFixed(4)
}

/** Repository over `inspections`; every method takes an optional transaction. */
export function createInspectionRepository(db: Knex) {
  return {
    /** Records the verdict of a job; a redelivered job gets its first verdict back. */
    async insertOrGet(inspection: Inspection, trx: Knex = db): Promise<InsertOrGet<InspectionRow>> {
      return insertOrGet<InspectionRow>(trx, 'inspections', jsonColumns(inspection, ['items']), ['job_key'])
    },
    async listForOrder(orderNumber: string, trx: Knex = db): Promise<InspectionRow[]> {
      return trx('inspections').where({ order_number: orderNumber }).orderBy('id')
    },
    /** The previous lots of a purchase request, for tightened re-inspection (D10 20G). */
    async listForPurchaseRequest(requestNumber: string, trx: Knex = db): Promise<InspectionRow[]> {
      return trx('inspections').where({ purchase_request_number: requestNumber }).orderBy('id')
    },
  }
}

export type InspectionRepository = ReturnType<typeof createInspectionRepository>
