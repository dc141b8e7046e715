import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { notificationKey, notifyOnce, subjectOrderNumber, teamMessages, teamsOf, templateOf } from '../../lib/notify.ts'
import type { JobContext } from '../../lib/worker.ts'
import { notifyFakes } from '../workers/notify-fakes.ts'

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
  const { rows, steps, sent, deps } = notifyFakes()
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
  const { rows, sent, deps } = notifyFakes()
  await notifyOnce(deps, job(), { orderNumber: 'CO-2026-0001', messages: teamMessages(['quality', 'warehouse'], 'urgent-order', { orderNumber: 'CO-2026-0001' }) })
  assert.equal(rows.map((r) => [r.recipient, r.idempotency_key]), [
    ['group:quality', '7001:NOTIFY_URGENT_TEAMS:7002:quality'],
    ['group:warehouse', '7001:NOTIFY_URGENT_TEAMS:7002:warehouse'],
  ])
  assert.equal(sent.map((m) => m.recipient.name), ['quality (品质部)', 'warehouse (仓库/成品库)'])
})

test('a redelivered job queues and sends nothing again', async () => {
  const { rows, steps, sent, deps } = notifyFakes()
  const first = await notifyOnce(deps, job(), { orderNumber: 'SO-2026-0001', messages: [customerMessage] })
  const again = await notifyOnce(deps, job(), { orderNumber: 'SO-2026-0001', messages: [customerMessage] })
  assert.equal(again, first)
  assert.is(rows.length, 1)
  assert.is(steps.length, 1)
  assert.is(sent.length, 1)
})

test('the same element passed again in a loop notifies again', async () => {
  const { rows, sent, deps } = notifyFakes()
  await notifyOnce(deps, job(), { orderNumber: 'SO-2026-0001', messages: [customerMessage] })
  await notifyOnce(deps, job({ key: '601', elementInstanceKey: '7102' }), { orderNumber: 'SO-2026-0001', messages: [customerMessage] })
  assert.equal(rows.map((r) => r.idempotency_key), ['7001:NOTIFY_URGENT_TEAMS:7002', '7001:NOTIFY_URGENT_TEAMS:7102'])
  assert.is(sent.length, 2)
})

test('a send failure is thrown; the row stays pending and the retry sends that row, never a second', async () => {
  const { rows, steps, sent, deps } = notifyFakes({ failSends: 1 })
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
  const { rows, sent, deps } = notifyFakes({ failSends: 1 })
  const messages = teamMessages(['quality', 'warehouse'], 'urgent-order', {})
  await notifyOnce(deps, job(), { orderNumber: 'CO-2026-0001', messages }).catch(() => undefined)
  assert.equal(rows.map((r) => r.status), ['pending', 'sent'])
  await notifyOnce(deps, job({ retries: 2 }), { orderNumber: 'CO-2026-0001', messages })
  assert.equal(sent.map((m) => m.idempotencyKey), ['7001:NOTIFY_URGENT_TEAMS:7002:warehouse', '7001:NOTIFY_URGENT_TEAMS:7002:quality'])
})

test('a refusal is thrown with its reason; on the last retry the row is given up as failed', async () => {
  const { rows, deps } = notifyFakes({ refuse: true })
  try {
    await notifyOnce(deps, job({ retries: 1 }), { orderNumber: 'SO-2026-0001', messages: [customerMessage] })
    assert.unreachable('a refusal must be thrown')
  } catch (error) {
    assert.match((error as Error).message, /refused shipment-dispatched to customer:C-001: recipient_unreachable \(no contact details\); correct the recipient's contact details/)
  }
  assert.is(rows[0].status, 'failed')
})

test.run()
