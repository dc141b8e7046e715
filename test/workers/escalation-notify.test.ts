import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Deadline } from '../../lib/service-levels.ts'
import type { JobContext } from '../../lib/worker.ts'
import { createHandler, errorCodes, type EscalationNotifyVariables } from '../../workers/escalation-notify.ts'
import { notifyFakes } from './notify-fakes.ts'

const fakes = (options: { failSends?: number } = {}) => notifyFakes(options)

const job = (variables: EscalationNotifyVariables, headers: Record<string, string> = {}, key = '101'): JobContext<EscalationNotifyVariables> => ({
  key,
  type: 'escalation-notify',
  processInstanceKey: '4001',
  bpmnProcessId: 'contract-order',
  elementId: 'ESCALATE_GM_APPROVAL',
  elementInstanceKey: '4002',
  retries: 3,
  customHeaders: headers,
  variables,
})

const order = { orderNumber: 'CO-2026-0003' }

test('no diagram catches an error from escalation-notify', () => {
  assert.equal(errorCodes, [])
})

test('a breach named in the headers is recorded and the next level is told (D10 2C)', async () => {
  const { rows, steps, sent, deps } = fakes()
  const outcome = await createHandler(deps)(job({ order }, { clause: 'D10 2C', escalateTo: 'deputy-general-manager' }))
  assert.equal(outcome, { kind: 'complete', variables: {} })
  assert.equal(steps.map((s) => [s.outcome, s.key.clause, s.key.step, s.key.order_number]), [['sla-breached', 'D10 2C', 'escalation-notify', 'CO-2026-0003']])
  assert.equal(rows.map((r) => [r.recipient, r.idempotency_key, r.template, r.status]), [['group:deputy-general-manager', '4001:ESCALATE_GM_APPROVAL:4002', 'sla-breached', 'sent']])
  assert.equal(sent[0].payload, { orderNumber: 'CO-2026-0003', clause: 'D10 2C', step: 'ESCALATE_GM_APPROVAL' })
})

test('the escalation variable wins over the headers and carries the due time and the late step', async () => {
  const { rows, steps, sent, deps } = fakes()
  const escalation = { clause: 'D10 26B', dueAt: '2026-12-08T18:00:00+08:00', notify: 'finance,sales-manager', step: 'CHASE_PAYMENT' }
  await createHandler(deps)(job({ order, escalation }, { clause: 'D10 2C', escalateTo: 'deputy-general-manager', notice: 'payment-overdue' }))
  assert.is(steps[0].key.clause, 'D10 26B')
  assert.equal(rows.map((r) => [r.recipient, r.template]), [['group:finance', 'payment-overdue'], ['group:sales-manager', 'payment-overdue']])
  assert.equal(sent[0].payload, { orderNumber: 'CO-2026-0003', clause: 'D10 26B', step: 'CHASE_PAYMENT', dueAt: '2026-12-08T18:00:00+08:00' })
})

test('a breach of a return is recorded on its order', async () => {
  const { steps, sent, deps } = fakes()
  await createHandler(deps)(job({ returnRequest: { orderNumber: 'SO-2026-0009', returnNumber: 'RT-2026-0001' } }, { clause: 'D9 1.1', escalateTo: 'finance' }))
  assert.is(steps[0].key.order_number, 'SO-2026-0009')
  assert.is(sent[0].payload.returnNumber, 'RT-2026-0001')
})

test('the sla property takes clause and roles from the service-level table, the due instant from sla.<id>, and records the breach once', async () => {
  const recorded: { deadline: Record<string, unknown>; breachedAt: Date }[] = []
  const register = {
    recordBreach: async (deadline: Record<string, unknown>, breachedAt: Date) => {
      recorded.push({ deadline, breachedAt })
      return {} as never
    },
  }
  const sla: Record<string, Deadline> = {
    gmApproval: {
      id: 'gmApproval', clause: 'D10 2C', kind: 'working-duration', limit: 'PT2H', urgent: false,
      startedAt: '2026-11-23T00:30:00.000Z', due: '2026-11-23T02:30:00.000Z', followUp: '2026-11-23T01:30:00.000Z',
      escalateTo: 'deputy-general-manager', interrupting: true, activityInstanceId: 'GM_APPROVAL:77',
    },
  }
  const { steps, rows, sent, deps } = notifyFakes({ extra: { serviceLevelDeadlines: register } })
  await createHandler(deps)(job({ order, sla }, { sla: 'gmApproval' }))
  assert.equal(steps.map((s) => [s.outcome, s.key.clause]), [['sla-breached', 'D10 2C']])
  const result = steps[0].result as { sla: string; dueAt: string; firedAt: string; recipients: string[] }
  assert.equal([result.sla, result.dueAt, result.recipients], ['gmApproval', '2026-11-23T02:30:00.000Z', ['group:deputy-general-manager']])
  assert.ok(Date.parse(result.firedAt) > Date.parse(result.dueAt))
  assert.equal(rows.map((r) => r.recipient), ['group:deputy-general-manager'])
  assert.equal(sent[0].payload, { orderNumber: 'CO-2026-0003', clause: 'D10 2C', step: 'GM_APPROVAL', dueAt: '2026-11-23T02:30:00.000Z' })
  assert.equal(recorded.map((r) => r.deadline), [{
    sla_id: 'gmApproval', clause: 'D10 2C', order_number: 'CO-2026-0003', process_instance_key: '4001', element_id: 'GM_APPROVAL',
    element_instance_key: 'GM_APPROVAL:77', limit: 'PT2H', urgent: false, started_at: '2026-11-23T00:30:00.000Z',
    due_at: '2026-11-23T02:30:00.000Z', follow_up_at: '2026-11-23T01:30:00.000Z', escalate_to: 'deputy-general-manager',
  }])
  assert.is(recorded[0].breachedAt.toISOString(), result.firedAt)
  try {
    await createHandler(deps)(job({ order, sla }, { sla: 'noSuchLevel' }, '102'))
    assert.unreachable('must throw')
  } catch (error) {
    assert.match((error as Error).message, 'its sla property names "noSuchLevel", which processes/service-levels.json does not define')
  }
  try {
    await createHandler(deps)(job({ order }, { sla: 'gmApproval' }, '103'))
    assert.unreachable('must throw')
  } catch (error) {
    assert.match((error as Error).message, "no variable sla.gmApproval; the timer of GM_APPROVAL must wait for ${serviceLevels.due(execution, 'gmApproval')}")
  }
})

test('no clause, or no one to tell, is a technical fault that says what to set', async () => {
  const { steps, deps } = fakes()
  const handler = createHandler(deps)
  try {
    await handler(job({ order }, { escalateTo: 'finance' }))
    assert.unreachable('must throw')
  } catch (error) {
    assert.match((error as Error).message, /names no service-level clause: set its "clause" task header/)
  }
  try {
    await handler(job({ order }, { clause: 'D10 1A' }))
    assert.unreachable('must throw')
  } catch (error) {
    assert.match((error as Error).message, /names no recipients: set its "escalateTo" task header/)
  }
  assert.is(steps.length, 0)
})

test('a failed send is thrown; the breach stays recorded once and the retry sends the same row', async () => {
  const { rows, steps, sent, deps } = fakes({ failSends: 1 })
  const handler = createHandler(deps)
  const headers = { clause: 'D10 1A', escalateTo: 'sales-manager' }
  try {
    await handler(job({ order }, headers))
    assert.unreachable('a failed send must be thrown')
  } catch (error) {
    assert.match((error as Error).message, /sla-breached to group:sales-manager: notification webhook answered 503/)
  }
  await handler(job({ order }, headers))
  assert.is(steps.length, 1)
  assert.is(rows.length, 1)
  assert.is(sent.length, 1)
})

test('a redelivered job records and notifies once', async () => {
  const { rows, steps, sent, deps } = fakes()
  const handler = createHandler(deps)
  const headers = { clause: 'D10 1A', escalateTo: 'sales-manager' }
  const first = await handler(job({ order }, headers, '102'))
  const again = await handler(job({ order }, headers, '102'))
  assert.equal(again, first)
  assert.is(rows.length, 1)
  assert.is(steps.length, 1)
  assert.is(sent.length, 1)
})

test.run()
