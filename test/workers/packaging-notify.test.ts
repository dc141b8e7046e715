import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Knex } from 'knex'
import type { Notification as Outbox } from '../../lib/repositories/notifications.ts'
import type { StepKey, StepResult } from '../../lib/repositories/order-events.ts'
import { createSandboxNotifier, type NotifierClient } from '../../lib/clients/notifier.ts'
import type { JobContext } from '../../lib/worker.ts'
import { createHandler, type PackagingVariables } from '../../workers/packaging-notify.ts'

function fakes(notifier: NotifierClient = createSandboxNotifier()) {
  const queued: Outbox[] = []
  const sent: number[] = []
  const results = new Map<string, unknown>()
  const steps: StepKey[] = []
  const deps = {
    notifications: {
      enqueue: async (n: Outbox) => {
        const found = queued.findIndex((q) => q.idempotency_key === n.idempotency_key)
        const status = (i: number) => (sent.includes(i + 1) ? 'sent' : 'pending')
        if (found >= 0) return { row: { ...queued[found], id: found + 1, status: status(found), attempts: 0 }, created: false }
        queued.push(n)
        return { row: { ...n, id: queued.length, status: 'pending', attempts: 0 }, created: true }
      },
      markSent: async (id: number) => void sent.push(id),
      markFailed: async () => undefined,
    },
    events: {
      once: async <R>(key: StepKey, work: (trx: Knex.Transaction) => Promise<StepResult<R>>) => {
        const id = `${key.step}/${key.job_key}`
        if (!results.has(id)) {
          steps.push(key)
          results.set(id, (await work({} as Knex.Transaction)).result)
        }
        return results.get(id) as R
      },
    },
    outside: { notifier },
  }
  return { queued, sent, steps, notifier, deps: deps as never }
}

const variables: PackagingVariables = {
  order: { orderNumber: 'CO-2026-0301', customer: { name: 'Guangzhou Telecom Works' }, lines: [{ productName: 'Complete set', model: 'EQR-SET-A', quantity: 1 }] },
  productionPlan: { packingDate: '2026-12-15', completeSet: true },
}
const job = (key = '501', headers: Record<string, string> = {}): JobContext<PackagingVariables> => ({
  key, type: 'packaging-notify', processInstanceKey: '9301', bpmnProcessId: 'production-fulfilment', elementId: 'PACKAGING_NOTIFY',
  elementInstanceKey: '9302', retries: 3, customHeaders: headers, variables,
})

test('the notice is queued, sent and marked sent (D2 二.二.2(5))', async () => {
  const { queued, sent, steps, notifier, deps } = fakes()
  const outcome = await createHandler(deps)(job())
  assert.equal(outcome, { kind: 'complete', variables: { packagingNotice: { recipients: ['group:warehouse'], packingDate: '2026-12-15', leadDays: 3, delivered: true } } })
  assert.is(queued.length, 1)
  assert.is(queued[0].template, 'packaging-notify')
  assert.is(queued[0].recipient, 'group:warehouse')
  assert.is(queued[0].idempotency_key, '9301:PACKAGING_NOTIFY:9302')
  assert.equal(sent, [1])
  assert.is((notifier as ReturnType<typeof createSandboxNotifier>).sent[0].payload.leadDays, 3)
  assert.is(steps[0].clause, 'D2 二.二.2(5)')
})

test('a refused notice is a technical fault; the retry sends the queued message', async () => {
  let refuse = true
  const calls: string[] = []
  const notifier: NotifierClient = {
    notify: async (n) => {
      calls.push(n.idempotencyKey)
      return refuse ? { delivered: false, code: 'recipient_unreachable', reason: 'no such group' } : { delivered: true, duplicate: false }
    },
  }
  const { queued, sent, deps } = fakes(notifier)
  const handler = createHandler(deps)
  try {
    await handler(job('502'))
    assert.unreachable('should have thrown')
  } catch (error) {
    assert.match((error as Error).message, 'refused packaging-notify to group:warehouse: recipient_unreachable (no such group)')
  }
  assert.equal(sent, [])
  refuse = false
  await handler(job('502'))
  assert.is(queued.length, 1)
  assert.equal(sent, [1])
  assert.equal(calls, [calls[0], calls[0]])
})

test('a redelivered job queues and sends nothing new; the recipients header names the teams', async () => {
  const { queued, notifier, deps } = fakes()
  const handler = createHandler(deps)
  const first = await handler(job('503', { recipients: 'warehouse, quality' }))
  const again = await handler(job('503', { recipients: 'warehouse, quality' }))
  assert.equal(again, first)
  assert.equal(queued.map((q) => q.recipient), ['group:warehouse', 'group:quality'])
  assert.is((notifier as ReturnType<typeof createSandboxNotifier>).sent.length, 2)
})

test('an unknown team in the header is a technical fault naming it', async () => {
  const { queued, deps } = fakes()
  try {
    await createHandler(deps)(job('504', { recipients: 'packers' }))
    assert.unreachable('should have thrown')
  } catch (error) {
    assert.match((error as Error).message, 'names unknown teams packers')
  }
  assert.is(queued.length, 0)
})

test.run()
