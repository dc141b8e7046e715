/** Fakes shared by the notification worker tests: the step store, the outbox and the notifier. */
import type { Knex } from 'knex'
import type { Notification as Sent } from '../../lib/clients/notifier.ts'
import type { Notification, NotificationRow } from '../../lib/repositories/notifications.ts'
import type { StepKey, StepResult } from '../../lib/repositories/order-events.ts'

/**
 * In-memory `events`, `notifications` and `outside.notifier`; the notifier fails its first
 * `failSends` calls, and with `refuse` the receiver refuses every message. `extra` deps (e.g.
 * orders, customers) are added to the handler's deps.
 */
export function notifyFakes({ failSends = 0, refuse = false, extra = {} }: { failSends?: number; refuse?: boolean; extra?: Record<string, unknown> } = {}) {
  const rows: NotificationRow[] = []
  const steps: { key: StepKey; outcome: string; result: unknown }[] = []
  const results = new Map<string, unknown>()
  const sent: Sent[] = []
  let failuresLeft = failSends
  const events = {
    once: async <R>(key: StepKey, work: (trx: Knex.Transaction) => Promise<StepResult<R>>) => {
      const id = `${key.step}/${key.job_key}`
      if (!results.has(id)) {
        const { outcome, result } = await work({} as Knex.Transaction)
        steps.push({ key, outcome, result })
        results.set(id, result)
      }
      return results.get(id) as R
    },
  }
  const row = (id: number) => rows.find((r) => r.id === id)!
  const notifications = {
    enqueue: async (n: Notification) => {
      const found = rows.find((r) => r.idempotency_key === n.idempotency_key)
      if (found) return { row: found, created: false }
      const created = { id: rows.length + 1, status: 'pending', attempts: 0, last_error: null, created_at: new Date(), sent_at: null, ...n } as NotificationRow
      rows.push(created)
      return { row: created, created: true }
    },
    markSent: async (id: number) => {
      Object.assign(row(id), { status: 'sent', attempts: row(id).attempts + 1 })
    },
    markFailed: async (id: number, error: string, maxAttempts: number) => {
      const attempts = row(id).attempts + 1
      Object.assign(row(id), { attempts, last_error: error, status: attempts >= maxAttempts ? 'failed' : 'pending' })
    },
  }
  const notifier = {
    notify: async (message: Sent) => {
      if (failuresLeft > 0) {
        failuresLeft -= 1
        throw new Error('notification webhook answered 503 Service Unavailable: retried with back-off')
      }
      if (refuse) return { delivered: false as const, code: 'recipient_unreachable', reason: 'no contact details' }
      sent.push(message)
      return { delivered: true as const, duplicate: false }
    },
  }
  return { rows, steps, sent, deps: { events, notifications, outside: { notifier }, ...extra } as never }
}
