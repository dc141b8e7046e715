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
     * work again. Two runs of one job at the same time (a job re-activated after its timeout while
     * the first run is still busy) are serialised by a transaction-scoped advisory lock on the
     * key: the second waits for the first to commit, then reads its result. Inside `outer` (a
     * transaction that already holds the step's own row) it runs as a savepoint of it.
     */
    async once<R>(key: StepKey, work: (trx: Knex.Transaction) => Promise<StepResult<R>>, outer: Knex = db): Promise<R> {
      return outer.transaction(async (trx) => {
        await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`order_events:${key.step}:${key.job_key}`])
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
