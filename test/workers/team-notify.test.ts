import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { JobContext } from '../../lib/worker.ts'
import { createHandler, errorCodes, type TeamNotifyVariables } from '../../workers/team-notify.ts'
import { notifyFakes } from './notify-fakes.ts'

const fakes = (options: { failSends?: number } = {}) => notifyFakes(options)

const order = {
  orderNumber: 'CO-2026-0001',
  priority: 'urgent',
  customer: { name: 'Guangzhou Telecom Works' },
  lines: [{ productName: 'Distribution frame', model: 'DF-200', quantity: 4, unitPrice: 100 }],
  deliveryDate: '2026-12-01',
  shippingMethod: 'road',
  salesLeaderSignOff: { name: 'Li Wei' },
}

const urgentTeams = 'planning-group,production-manager,procurement,quality,warehouse,logistics-clerk'

const job = (variables: TeamNotifyVariables, headers: Record<string, string>, key = '401', elementId = 'NOTIFY_URGENT_TEAMS'): JobContext<TeamNotifyVariables> => ({
  key,
  type: 'team-notify',
  processInstanceKey: '6001',
  bpmnProcessId: 'contract-order',
  elementId,
  elementInstanceKey: '6002',
  retries: 3,
  customHeaders: headers,
  variables,
})

test('no diagram catches an error from team-notify', () => {
  assert.equal(errorCodes, [])
})

test('an urgent order goes to every team named, with its urgency and delivery requirements (D7 3)', async () => {
  const { rows, steps, sent, deps } = fakes()
  const urgentAssessment = { decision: 'feasible', earliestDeliveryDate: '2026-11-30' }
  const outcome = await createHandler(deps)(job({ order, urgentAssessment, changeRequest: null }, { notice: 'urgent-order', recipients: urgentTeams }))
  assert.equal(outcome, { kind: 'complete', variables: {} })
  assert.equal(rows.map((r) => r.recipient), urgentTeams.split(',').map((role) => `group:${role}`))
  assert.equal(rows.map((r) => r.idempotency_key), urgentTeams.split(',').map((role) => `6001:NOTIFY_URGENT_TEAMS:6002:${role}`))
  assert.ok(rows.every((r) => r.status === 'sent' && r.template === 'urgent-order'))
  assert.equal(sent[0].payload, {
    orderNumber: 'CO-2026-0001',
    customerName: 'Guangzhou Telecom Works',
    priority: 'urgent',
    deliveryDate: '2026-12-01',
    shippingMethod: 'road',
    lines: [{ productName: 'Distribution frame', model: 'DF-200', quantity: 4 }],
    urgentAssessment,
  })
  assert.equal(sent[1].recipient, { name: 'production-manager (生产部经理)' })
  assert.equal(steps.map((s) => [s.outcome, s.key.clause, s.key.step]), [['notified', 'D7 3', 'team-notify']])
})

test('the change notice goes to the production manager with the change (D2 一.五.2)', async () => {
  const { rows, sent, steps, deps } = fakes()
  const changeAssessment = { kind: 'minor', summary: 'colour of the front panel' }
  await createHandler(deps)(job({ order, changeAssessment }, { notice: 'order-change', recipients: 'production-manager' }, '402', 'CHANGE_NOTICE'))
  assert.equal(rows.map((r) => [r.recipient, r.idempotency_key]), [['group:production-manager', '6001:CHANGE_NOTICE:6002']])
  assert.equal(sent[0].payload.changeAssessment, changeAssessment)
  assert.is(steps[0].key.clause, 'D2 一.五.2')
})

test('a recipients header naming an unknown team is a technical fault that names it', async () => {
  const { rows, deps } = fakes()
  try {
    await createHandler(deps)(job({ order }, { notice: 'urgent-order', recipients: 'quality,planing-group' }))
    assert.unreachable('must throw')
  } catch (error) {
    assert.match((error as Error).message, /contract-order NOTIFY_URGENT_TEAMS: "recipients" names unknown teams planing-group/)
  }
  assert.is(rows.length, 0)
})

test('a failed send is thrown; the retry sends the rows left, never a second row', async () => {
  const { rows, sent, deps } = fakes({ failSends: 1 })
  const handler = createHandler(deps)
  const variables = { order }
  const headers = { notice: 'urgent-order', recipients: 'quality,warehouse' }
  try {
    await handler(job(variables, headers))
    assert.unreachable('a failed send must be thrown')
  } catch (error) {
    assert.match((error as Error).message, /could not send 1 of 2 notifications/)
  }
  await handler(job(variables, headers))
  assert.is(rows.length, 2)
  assert.equal(sent.map((m) => m.idempotencyKey), ['6001:NOTIFY_URGENT_TEAMS:6002:warehouse', '6001:NOTIFY_URGENT_TEAMS:6002:quality'])
})

test('a redelivered job notifies once and gets the same result', async () => {
  const { rows, steps, sent, deps } = fakes()
  const handler = createHandler(deps)
  const headers = { notice: 'order-change', recipients: 'production-manager' }
  const first = await handler(job({ order }, headers, '403'))
  const again = await handler(job({ order }, headers, '403'))
  assert.equal(again, first)
  assert.is(rows.length, 1)
  assert.is(steps.length, 1)
  assert.is(sent.length, 1)
})

test.run()
