/**
 * The outbox relay: delivers the events the API accepted (`event_outbox`) to the process waits
 * they are for. The engine keeps no message: a message correlated while nothing waits for it is
 * refused, so every row stays pending and is tried again until its wait opens or its lifetime
 * ends (then it is `expired`, with an `order_events` row saying so). Only the engine's own answer
 * that nothing waits can expire a row: while the engine is out of reach (a restart, an outage) the
 * row waits, however long that takes, and is delivered once the engine answers again. Each row is claimed with
 * `FOR UPDATE SKIP LOCKED` and the correlation happens while the row is locked, so the API's
 * immediate attempt and any number of relays never deliver one row twice; a row is for one
 * target (process definition key), found first, then correlated to that instance only.
 *
 * A correlation and the row's record of it are two systems: the engine may take the message while
 * the row's transaction is lost (PostgreSQL away before the commit, the relay killed, the engine's
 * answer lost with a restart). So each correlation also sets the process variable
 * `outboxEvent_<row id>` = the message id, and before a row is left pending because nothing waits,
 * the engine's history is asked whether that variable was ever set: if so, the event was delivered
 * and the row is recorded as correlated to that instance, never sent a second time.
 */
import type { Knex } from 'knex'
import { createEventOutboxRepository, type OutboxRow } from './repositories/event-outbox.ts'

/** One message for one waiting process. */
export interface MessageCorrelation {
  name: string
  businessKey: string
  /** Process variables the waiting instance must have with these values (e.g. returnNumber). */
  correlationKeys: Record<string, string>
  /** Variables the waiting execution itself must have (e.g. requestNumber in one procurement of several). */
  localCorrelationKeys?: Record<string, string>
  /** Only this instance (a target found by `waitingInstances`). */
  processInstanceId?: string
  variables: Record<string, unknown>
}

/** What the relay needs of the engine (api/engine.ts's `ApiEngine` has it). */
export interface MessageCorrelator {
  correlateMessage(message: MessageCorrelation): Promise<{ processInstanceId: string } | null>
  waitingInstances(processKey: string, message: Omit<MessageCorrelation, 'processInstanceId' | 'variables'>): Promise<string[]>
  /** The instance whose history holds process variable `name` with string value `value`, if any. */
  instanceWithVariable(name: string, value: string): Promise<string | undefined>
}

/** The process variable a correlation of outbox row `id` sets (its value: the message id). */
export const deliveryVariable = (id: number) => `outboxEvent_${id}`

export interface RelayOptions {
  /** How often pending rows are looked at (ms). */
  intervalMs?: number
  /** Rows per pass. */
  batch?: number
  log?: { warn(object: unknown, message: string): void }
}

export type DeliveryOutcome = 'correlated' | 'waiting' | 'failed' | 'expired' | 'skipped'

/** Back-off after a technical failure: 1 s, 2 s, 4 s, ... at most a minute. */
const backOff = (attempts: number) => Math.min(60000, 1000 * 2 ** Math.min(attempts, 6))

export function createEventRelay(db: Knex, engine: MessageCorrelator, options: RelayOptions = {}) {
  const outbox = createEventOutboxRepository(db)
  const intervalMs = options.intervalMs ?? 1000
  let timer: NodeJS.Timeout | undefined
  let running: Promise<unknown> | undefined
  let stopped = true

  async function attempt(row: OutboxRow): Promise<{ instance: string; recovered?: true } | { waiting: string }> {
    const message = { name: row.message_name, businessKey: row.business_key, correlationKeys: row.correlation_keys, localCorrelationKeys: row.local_correlation_keys }
    /** Nothing waits: unless an earlier correlation reached the engine but not this row. */
    const notWaiting = async (waiting: string) => {
      const instance = await engine.instanceWithVariable(deliveryVariable(row.id), row.message_id)
      return instance ? { instance, recovered: true as const } : { waiting }
    }
    let processInstanceId: string | undefined
    if (row.target !== '*') {
      const waiting = await engine.waitingInstances(row.target, message)
      if (waiting.length === 0) return notWaiting(`no ${row.target} instance of ${row.business_key} waits for ${row.message_name} yet`)
      if (waiting.length > 1) throw new Error(`${waiting.length} ${row.target} instances of ${row.business_key} wait for ${row.message_name}: ${waiting.join(', ')}`)
      processInstanceId = waiting[0]
    }
    const variables = { ...row.variables, [deliveryVariable(row.id)]: row.message_id }
    const result = await engine.correlateMessage({ ...message, processInstanceId, variables })
    return result ? { instance: result.processInstanceId } : notWaiting(`nothing waits for ${row.message_name} of ${row.business_key} yet`)
  }

  /** Tries to deliver one row now; what happened. */
  async function deliver(id: number): Promise<DeliveryOutcome> {
    return db.transaction(async (trx) => {
      const row = await outbox.claim(id, trx)
      if (!row) return 'skipped'
      try {
        const result = await attempt(row)
        if ('waiting' in result) {
          if (new Date(row.expires_at).getTime() > Date.now()) {
            await outbox.markRetry(id, result.waiting, intervalMs, trx)
            return 'waiting'
          }
          await outbox.markExpired(id, trx)
          await trx('order_events').insert({
            order_number: row.order_number, step: row.message_name, actor: 'event-relay', outcome: 'expired',
            details: JSON.stringify({ messageId: row.message_id, target: row.target, attempts: row.attempts + 1, lastError: result.waiting, expiredAt: new Date(row.expires_at).toISOString() }),
          })
          return 'expired'
        }
        await outbox.markCorrelated(id, result.instance, trx)
        await trx('order_events').insert({
          order_number: row.order_number, process_instance_key: result.instance, step: row.message_name, actor: 'event-relay', outcome: 'correlated',
          details: JSON.stringify({ messageId: row.message_id, target: row.target, attempts: row.attempts + 1, ...(result.recovered ? { recovered: 'an earlier correlation, found in the engine history' } : {}) }),
        })
        return 'correlated'
      } catch (error) {
        options.log?.warn({ err: error, messageId: row.message_id, target: row.target }, 'event correlation failed; retried later')
        await outbox.markRetry(id, (error as Error).message, backOff(row.attempts), trx)
        return 'failed'
      }
    })
  }

  /** One pass over the pending rows that are due; the outcome per row id. */
  async function runOnce(): Promise<Map<number, DeliveryOutcome>> {
    const outcomes = new Map<number, DeliveryOutcome>()
    for (const id of await outbox.due(options.batch ?? 100)) outcomes.set(id, await deliver(id))
    return outcomes
  }

  function schedule() {
    if (stopped) return
    timer = setTimeout(() => {
      running = runOnce()
        .catch((error: unknown) => options.log?.warn({ err: error }, 'event relay pass failed'))
        .finally(() => {
          running = undefined
          schedule()
        })
    }, intervalMs)
    timer.unref()
  }

  return {
    deliver,
    runOnce,
    /** Delivers the given rows now (best effort; what is not delivered stays for the loop). */
    async deliverNow(ids: number[]): Promise<void> {
      for (const id of ids) await deliver(id).catch((error: unknown) => options.log?.warn({ err: error }, 'immediate event delivery failed'))
    },
    start() {
      if (!stopped) return
      stopped = false
      schedule()
    },
    /** Stops the loop and waits for a pass in progress. */
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      await running
    },
  }
}

export type EventRelay = ReturnType<typeof createEventRelay>

