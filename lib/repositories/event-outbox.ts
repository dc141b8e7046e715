/**
 * The event outbox (`event_outbox`): events the API accepted into running orders, one row per
 * event and target wait, kept until the engine correlates them or their lifetime ends. The API
 * writes rows in the request's transaction; the relay (lib/event-relay.ts) claims them one at a
 * time with `FOR UPDATE SKIP LOCKED`, so two relays (or the API's own first attempt) never
 * deliver one row twice.
 */
import type { Knex } from 'knex'

export type OutboxState = 'pending' | 'correlated' | 'expired'

export interface OutboxEvent {
  message_id: string
  /** Process definition key of the wait this row is for; `*` = whichever instance of the order waits. */
  target: string
  order_number: string
  message_name: string
  business_key: string
  correlation_keys: Record<string, string>
  local_correlation_keys: Record<string, string>
  variables: Record<string, unknown>
  expires_at: Date
}

export interface OutboxRow extends OutboxEvent {
  id: number
  state: OutboxState
  accepted_at: Date
  next_attempt_at: Date
  attempts: number
  last_error: string | null
  correlated_at: Date | null
  process_instance_id: string | null
}

const json = (row: OutboxEvent) => ({
  ...row,
  correlation_keys: JSON.stringify(row.correlation_keys),
  local_correlation_keys: JSON.stringify(row.local_correlation_keys),
  variables: JSON.stringify(row.variables),
})

/** Repository over `event_outbox`; every method takes an optional transaction. */
export function createEventOutboxRepository(db: Knex) {
  return {
    /** Adds the rows of one event; a row already there (same message id and target) is kept as it is. */
    async add(rows: OutboxEvent[], trx: Knex = db): Promise<void> {
      if (rows.length === 0) return
      await trx('event_outbox').insert(rows.map(json)).onConflict(['message_id', 'target']).ignore()
    },
    async listForOrder(orderNumber: string, trx: Knex = db): Promise<OutboxRow[]> {
      return trx('event_outbox').where({ order_number: orderNumber }).orderBy('id')
    },
    /** Ids of pending rows due for an attempt now (oldest first). */
    async due(limit: number, trx: Knex = db): Promise<number[]> {
      return trx('event_outbox').where({ state: 'pending' }).where('next_attempt_at', '<=', trx.fn.now()).orderBy('id').limit(limit).pluck('id')
    },
    /** Locks one pending row for the transaction `trx`; undefined when it is taken or no longer pending. */
    async claim(id: number, trx: Knex.Transaction): Promise<OutboxRow | undefined> {
      return trx('event_outbox').where({ id, state: 'pending' }).forUpdate().skipLocked().first()
    },
    async markCorrelated(id: number, processInstanceId: string, trx: Knex = db): Promise<void> {
      await trx('event_outbox').where({ id }).update({
        state: 'correlated', correlated_at: trx.fn.now(), process_instance_id: processInstanceId, attempts: trx.raw('attempts + 1'), last_error: null,
      })
    },
    /** Records a failed attempt and when to try again. */
    async markRetry(id: number, error: string, retryInMs: number, trx: Knex = db): Promise<void> {
      await trx('event_outbox').where({ id }).update({
        attempts: trx.raw('attempts + 1'), last_error: error.slice(0, 2000), next_attempt_at: new Date(Date.now() + retryInMs),
      })
    },
    async markExpired(id: number, trx: Knex = db): Promise<void> {
      await trx('event_outbox').where({ id }).update({ state: 'expired' })
    },
  }
}

export type EventOutboxRepository = ReturnType<typeof createEventOutboxRepository>
