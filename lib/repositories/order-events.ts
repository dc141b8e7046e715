/** The append-only per-order history (`order_events`) and the exactly-once step it backs. */
import type { Knex } from 'knex'

export interface OrderEvent {
  order_number: string
  process_instance_key?: string | null
  element_id?: string | null
  element_instance_key?: string | null
  job_key?: string | null
  step: string
  actor: string
  outcome: string
  clause?: string | null
  details?: Record<string, unknown>
}

export interface OrderEventRow extends Required<OrderEvent> {
  id: number
  occurred_at: Date
}

/** Where a step runs: enough to key it and to write its history row. */
export type StepKey = Omit<OrderEvent, 'outcome' | 'details'> & { job_key: string }

export interface StepResult<R> {
  outcome: string
  /** What the step hands back; stored in the history row and returned again on redelivery. */
  result: R
}

/** Repository over `order_events`; every method takes an optional transaction. */
export function createOrderEventRepository(db: Knex) {
  return {
    async append(event: OrderEvent, trx: Knex = db): Promise<void> {
      await trx('order_events').insert({ ...event, details: JSON.stringify(event.details ?? {}) })
    },
    async listForOrder(orderNumber: string, trx: Knex = db): Promise<OrderEventRow[]> {
      return trx('order_events').where({ order_number: orderNumber }).orderBy('id')
    },
    /**
     * Runs `work` once per (step, job key): the domain change it makes and the history row are
     * committed together, and a redelivered job gets the stored result back without doing the
     * work again. Two deliveries racing each other collide on the unique key, and the loser's
     * transaction (with its domain change) rolls back.
     */
    async once<R>(key: StepKey, work: (trx: Knex.Transaction) => Promise<StepResult<R>>): Promise<R> {
      return db.transaction(async (trx) => {
        const done = await trx('order_events').where({ step: key.step, job_key: key.job_key }).first('details')
        if (done) return done.details.result as R
        const { outcome, result } = await work(trx)
        await trx('order_events').insert({ ...key, outcome, details: JSON.stringify({ result }) })
        return result
      })
    },
  }
}

export type OrderEventRepository = ReturnType<typeof createOrderEventRepository>
