/** Fakes shared by the notification worker tests: the step store, the outbox and the notifier. */
import type { Knex } from 'knex'
import type { Notification as Sent } from '../../lib/clients/notifier.ts'
import type { Notification, NotificationRow } from '../../lib/repositories/notifications.ts'
import type { StepKey, StepResult } from '../../lib/repositories/order-events.ts'

/**
 * In-memory `events`, `notifications` and `outside.notifier`; the notifier fails its first
 * `failSends` calls. `extra` deps (e.g. orders, customers) are added to the handler's deps.
 */
export function notifyFakes({ failSends = 0, extra = {} }: { failSends?: number; extra?: Record<string, unknown> } = {}) {
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
  const notifications = {
    enqueue: async (n: Notification) => {
      const found = rows.find((r) => r.idempotency_key === n.idempotency_key)
      if (found) return { row: found, created: false }
      rows.push({ id: rows.length + 1, status: 'pending', attempts: 0, ...n } as NotificationRow)
      return { row: rows.at(-1)!, created: true }
    },
    markSent: async (id: number) => void Object.assign(rows[id - 1], { status: 'sent' }),
    markFailed: async (id: number, error: string) => void Object.assign(rows[id - 1], { attempts: rows[id - 1].attempts + 1, last_error: error }),
  }
  const notifier = {
    notify: async (message: Sent) => {
      if (failuresLeft-- > 0) throw new Error('notification webhook answered 503 Service Unavailable')
      sent.push(message)
      return { delivered: true as const, duplicate: false }
    },
  }
  return { rows, steps, sent, deps: { events, notifications, outside: { notifier }, ...extra } as never }
}
