/** The outbox of messages to customers and staff: queued with the change, sent afterwards. */
import type { Knex } from 'knex'
import { insertOrGet, jsonColumns, type InsertOrGet } from './support.ts'

export type NotificationStatus = 'pending' | 'sent' | 'failed'

export interface Notification {
  order_number?: string | null
  recipient: string
  channel: 'webhook' | 'email'
  template: string
  payload?: Record<string, unknown>
  /** e.g. `<job type>:<job key>`: a redelivered job queues no second message. */
  idempotency_key: string
}

export interface NotificationRow extends Required<Notification> {
  id: number
  status: NotificationStatus
  attempts: number
  last_error: string | null
  created_at: Date
  sent_at: Date | null
}

/** Repository over `notifications`; every method takes an optional transaction. */
export function createNotificationRepository(db: Knex) {
  return {
    /** Queues a message; the same key again returns the first one. */
    async enqueue(notification: Notification, trx: Knex = db): Promise<InsertOrGet<NotificationRow>> {
      return insertOrGet<NotificationRow>(trx, 'notifications', jsonColumns(notification, ['payload']), ['idempotency_key'])
    },
    /**
     * Pending messages, oldest first, locked for the caller's transaction and skipped by other
     * senders, so two senders never send the same message. Call inside a transaction.
     */
    async claimPending(limit: number, trx: Knex = db): Promise<NotificationRow[]> {
      return trx('notifications').where({ status: 'pending' }).orderBy('id').limit(limit).forUpdate().skipLocked()
    },
    async markSent(id: number, trx: Knex = db): Promise<void> {
      await trx('notifications').where({ id }).update({ status: 'sent', sent_at: trx.fn.now(), attempts: trx.raw('attempts + 1') })
    },
    /** Counts a failed attempt; at `maxAttempts` the message is given up as failed. */
    async markFailed(id: number, error: string, maxAttempts: number, trx: Knex = db): Promise<void> {
      await trx('notifications')
        .where({ id })
        .update({
          attempts: trx.raw('attempts + 1'),
          last_error: error,
          status: trx.raw(`case when attempts + 1 >= ? then 'failed' else 'pending' end`, [maxAttempts]),
        })
    },
    async listForOrder(orderNumber: string, trx: Knex = db): Promise<NotificationRow[]> {
      return trx('notifications').where({ order_number: orderNumber }).orderBy('id')
    },
  }
}

export type NotificationRepository = ReturnType<typeof createNotificationRepository>
