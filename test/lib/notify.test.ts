import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Knex } from 'knex'
import type { Notification as Sent } from '../../lib/clients/notifier.ts'
import { notificationKey, notifyOnce, subjectOrderNumber, teamMessages, teamsOf, templateOf } from '../../lib/notify.ts'
import type { Notification, NotificationRow } from '../../lib/repositories/notifications.ts'
import type { StepKey, StepResult } from '../../lib/repositories/order-events.ts'
import type { JobContext } from '../../lib/worker.ts'

/** In-memory outbox, history and notifier; `failSends` sends throw first, `refuse` makes the receiver refuse. */
function fakes({ failSends = 0, refuse = false } = {}) {
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
  return { rows, steps, sent, deps: { events, notifications, outside: { notifier } } as never }
}

const job = (overrides: Partial<JobContext<unknown>> = {}): JobContext<unknown> => ({
  key: '501',
  type: 'team-notify',
  processInstanceKey: '7001',
  bpmnProcessId: 'contract-order',
  elementId: 'NOTIFY_URGENT_TEAMS',
  elementInstanceKey: '7002',
  retries: 3,
  customHeaders: { notice: 'urgent-order', recipients: 'quality, warehouse' },
  variables: {},
  ...overrides,
})

const customerMessage = { recipient: 'customer:C-001', to: { customerId: 'C-001', name: 'Li Wei' }, template: 'shipment-dispatched', payload: { orderNumber: 'SO-2026-0001' } }

test('the key is the step execution: process instance, element and element instance', () => {
  assert.is(notificationKey(job()), '7001:NOTIFY_URGENT_TEAMS:7002')
})

test('the template is the notice header, else the element id in kebab case', () => {
  assert.is(templateOf(job()), 'urgent-order')
  assert.is(templateOf(job({ customHeaders: {} })), 'notify-urgent-teams')
})

test('recipients are known teams; none or an unknown one is a modelling fault naming the element', () => {
  assert.equal(teamsOf(job(), 'recipients'), ['quality', 'warehouse'])
  assert.throws(() => teamsOf(job({ customHeaders: {} }), 'recipients'), /contract-order NOTIFY_URGENT_TEAMS names no recipients: set its "recipients" task header/)
  assert.throws(() => teamsOf(job({ customHeaders: { recipients: 'quality,qa' } }), 'recipients'), /unknown teams qa/)
})

test('the order number comes from the order, shipment, return request or service case', () => {
  assert.is(subjectOrderNumber({ returnRequest: { orderNumber: 'SO-2026-0003', returnNumber: 'RT-1' } }), 'SO-2026-0003')
  assert.is(subjectOrderNumber({ order: null, shipment: { orderNumber: 'CO-2026-0001' } }), 'CO-2026-0001')
  assert.is(subjectOrderNumber({}), undefined)
})

test('one message is queued with the history row, sent with its key and marked sent', async () => {
  const { rows, steps, sent, deps } = fakes()
  const record = await notifyOnce(deps, job(), { orderNumber: 'SO-2026-0001', clause: 'D3 6', messages: [customerMessage] })
  assert.equal(record, { template: 'shipment-dispatched', recipients: ['customer:C-001'], idempotencyKeys: ['7001:NOTIFY_URGENT_TEAMS:7002'] })
  assert.is(rows.length, 1)
  assert.is(rows[0].status, 'sent')
  assert.is(rows[0].channel, 'webhook')
  assert.is(rows[0].order_number, 'SO-2026-0001')
  assert.equal(sent, [{ idempotencyKey: '7001:NOTIFY_URGENT_TEAMS:7002', recipient: customerMessage.to, template: 'shipment-dispatched', payload: { orderNumber: 'SO-2026-0001' } }])
  assert.is(steps[0].outcome, 'notified')
  assert.is(steps[0].key.clause, 'D3 6')
})

test('several teams get one message each, keyed by role', async () => {
  const { rows, sent, deps } = fakes()
  await notifyOnce(deps, job(), { orderNumber: 'CO-2026-0001', messages: teamMessages(['quality', 'warehouse'], 'urgent-order', { orderNumber: 'CO-2026-0001' }) })
  assert.equal(rows.map((r) => [r.recipient, r.idempotency_key]), [
    ['group:quality', '7001:NOTIFY_URGENT_TEAMS:7002:quality'],
    ['group:warehouse', '7001:NOTIFY_URGENT_TEAMS:7002:warehouse'],
  ])
  assert.equal(sent.map((m) => m.recipient.name), ['quality (品质部)', 'warehouse (仓库/成品库)'])
})

test('a redelivered job queues and sends nothing again', async () => {
  const { rows, steps, sent, deps } = fakes()
  const first = await notifyOnce(deps, job(), { orderNumber: 'SO-2026-0001', messages: [customerMessage] })
  const again = await notifyOnce(deps, job(), { orderNumber: 'SO-2026-0001', messages: [customerMessage] })
  assert.equal(again, first)
  assert.is(rows.length, 1)
  assert.is(steps.length, 1)
  assert.is(sent.length, 1)
})

test('the same element passed again in a loop notifies again', async () => {
  const { rows, sent, deps } = fakes()
  await notifyOnce(deps, job(), { orderNumber: 'SO-2026-0001', messages: [customerMessage] })
  await notifyOnce(deps, job({ key: '601', elementInstanceKey: '7102' }), { orderNumber: 'SO-2026-0001', messages: [customerMessage] })
  assert.equal(rows.map((r) => r.idempotency_key), ['7001:NOTIFY_URGENT_TEAMS:7002', '7001:NOTIFY_URGENT_TEAMS:7102'])
  assert.is(sent.length, 2)
})

test('a send failure is thrown; the row stays pending and the retry sends that row, never a second', async () => {
  const { rows, steps, sent, deps } = fakes({ failSends: 1 })
  try {
    await notifyOnce(deps, job(), { orderNumber: 'SO-2026-0001', messages: [customerMessage] })
    assert.unreachable('a failed send must be thrown')
  } catch (error) {
    assert.match((error as Error).message, /could not send 1 of 1 notifications \(they stay in the outbox and the retry sends them\): shipment-dispatched to customer:C-001: notification webhook answered 503/)
  }
  assert.is(rows[0].status, 'pending')
  assert.is(rows[0].attempts, 1)
  assert.is(steps.length, 1)
  await notifyOnce(deps, job({ retries: 2 }), { orderNumber: 'SO-2026-0001', messages: [customerMessage] })
  assert.is(rows.length, 1)
  assert.is(rows[0].status, 'sent')
  assert.is(sent.length, 1)
})

test('only the messages not sent yet are sent by the retry', async () => {
  const { rows, sent, deps } = fakes({ failSends: 1 })
  const messages = teamMessages(['quality', 'warehouse'], 'urgent-order', {})
  await notifyOnce(deps, job(), { orderNumber: 'CO-2026-0001', messages }).catch(() => undefined)
  assert.equal(rows.map((r) => r.status), ['pending', 'sent'])
  await notifyOnce(deps, job({ retries: 2 }), { orderNumber: 'CO-2026-0001', messages })
  assert.equal(sent.map((m) => m.idempotencyKey), ['7001:NOTIFY_URGENT_TEAMS:7002:warehouse', '7001:NOTIFY_URGENT_TEAMS:7002:quality'])
})

test('a refusal is thrown with its reason; on the last retry the row is given up as failed', async () => {
  const { rows, deps } = fakes({ refuse: true })
  try {
    await notifyOnce(deps, job({ retries: 1 }), { orderNumber: 'SO-2026-0001', messages: [customerMessage] })
    assert.unreachable('a refusal must be thrown')
  } catch (error) {
    assert.match((error as Error).message, /refused shipment-dispatched to customer:C-001: recipient_unreachable \(no contact details\); correct the recipient's contact details/)
  }
  assert.is(rows[0].status, 'failed')
})

test.run()
