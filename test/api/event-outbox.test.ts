/**
 * The event outbox on the real engine and PostgreSQL: an event for an order that does not wait for
 * it yet is kept and correlated when the process arrives (never lost, never twice, once per
 * target wait), a technical failure is retried with back-off, and an event that never finds its
 * wait is reported as expired in the order's state. Test processes: OUTBOX_WAIT (a user task
 * PREPARE, then the wait ARRIVED) and OUTBOX_RECEIPT (the wait RECEIPT at once), both waiting for
 * one message.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApiEngine } from '../../api/engine.ts'
import { createEventRelay } from '../../lib/event-relay.ts'
import { createEventOutboxRepository } from '../../lib/repositories/event-outbox.ts'
import { admin, config, deploy, keys, openApi } from './support.ts'

const message = 'outbox-test-arrived'
const process = (id: string, beforeWait: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="${id}-definitions" targetNamespace="http://order-flow.test">
  <bpmn:process id="${id}" isExecutable="true" camunda:historyTimeToLive="1">
    <bpmn:startEvent id="START" />
    <bpmn:sequenceFlow id="f1" sourceRef="START" targetRef="${beforeWait ? 'PREPARE' : 'ARRIVED'}" />
    ${beforeWait ? `<bpmn:userTask id="PREPARE" name="Prepare" camunda:candidateGroups="sales-assistant" />
    <bpmn:sequenceFlow id="f2" sourceRef="PREPARE" targetRef="ARRIVED" />` : ''}
    <bpmn:intermediateCatchEvent id="ARRIVED" name="Arrived"><bpmn:messageEventDefinition messageRef="m" /></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="ARRIVED" targetRef="AFTER" />
    <bpmn:userTask id="AFTER" name="After" camunda:candidateGroups="sales-assistant" />
    <bpmn:sequenceFlow id="f4" sourceRef="AFTER" targetRef="END" />
    <bpmn:endEvent id="END" />
  </bpmn:process>
  <bpmn:message id="m" name="${message}" />
</bpmn:definitions>`

let api: Awaited<ReturnType<typeof openApi>>
const started: string[] = []

test.before(async () => {
  api = await openApi({ relay: 'manual' })
  await deploy('outbox-test', { 'outbox-wait.bpmn': process('outbox-wait', 'PREPARE'), 'outbox-receipt.bpmn': process('outbox-receipt', '') })
})
test.after(async () => {
  for (const id of started) await admin.delete(`/process-instance/${id}?skipCustomListeners=true`).catch(() => undefined)
  await api?.close()
})

const orderNumber = () => `SO-2026-${String(Date.now()).slice(-6)}${Math.floor(Math.random() * 90 + 10)}`

async function start(processKey: string, businessKey: string) {
  const instance = await api.engine.startProcess({ processKey, businessKey, orderNumber: businessKey, variables: {} })
  started.push(instance.processInstanceKey)
  return instance.processInstanceKey
}

/** How often the instance passed ARRIVED (the message catch). */
async function arrivals(processInstanceId: string) {
  return (await admin.get<unknown[]>(`/history/activity-instance?processInstanceId=${processInstanceId}&activityId=ARRIVED&finished=true`)).length
}

async function insertOrder(number: string) {
  await api.db('orders').insert({ order_number: number, channel: 'shop', customer_name: 'Outbox Test', priority: 'normal', status: 'received', data: JSON.stringify({ orderNumber: number }) })
}

function event(number: string, targets: string[], lifetimeMs = 60000) {
  return targets.map((target) => ({
    message_id: `${message}:${number}:test`, target, order_number: number, message_name: message, business_key: number,
    correlation_keys: {}, local_correlation_keys: {}, variables: { delivery: { signedBy: 'Zhang Wei' } }, expires_at: new Date(Date.now() + lifetimeMs),
  }))
}

test('an event that arrives before its waits is kept, and reaches each wait once when it opens', async () => {
  const number = orderNumber()
  await insertOrder(number)
  const outbox = createEventOutboxRepository(api.db)
  await outbox.add(event(number, ['outbox-wait', 'outbox-receipt']))
  await outbox.add(event(number, ['outbox-wait', 'outbox-receipt']))
  const rows = await outbox.listForOrder(number)
  assert.is(rows.length, 2, 'one row per target, a repeated add changes nothing')
  const due = async () => api.db('event_outbox').where({ order_number: number }).update({ next_attempt_at: new Date(Date.now() - 1) })

  // No instance at all yet: kept, pending, and shown in the order's state.
  const first = await api.relay!.runOnce()
  assert.equal(rows.map((r) => first.get(r.id)), ['waiting', 'waiting'])
  const view = (await api.app.inject({ url: `/orders/${number}`, headers: { 'x-api-key': keys.integrator } })).json()
  assert.equal(view.events.map((e: { target: string; state: string }) => [e.target, e.state]), [['outbox-wait', 'pending'], ['outbox-receipt', 'pending']])

  // The order's process runs but is not at its wait yet (PREPARE is open): still kept.
  const waiting = await start('outbox-wait', number)
  await due()
  assert.equal([...(await api.relay!.runOnce()).values()], ['waiting', 'waiting'])
  assert.is(await arrivals(waiting), 0)

  // PREPARE done: the wait opens and the next pass delivers it there, once.
  const [prepare] = await admin.get<{ id: string }[]>(`/task?processInstanceId=${waiting}&taskDefinitionKey=PREPARE`)
  await admin.post(`/task/${prepare.id}/complete`, { variables: {} })
  await due()
  const [second, concurrent] = await Promise.all([api.relay!.runOnce(), createEventRelay(api.db, api.engine).runOnce()])
  const outcomes = [...second.values(), ...concurrent.values()].filter((o) => o === 'correlated')
  assert.is(outcomes.length, 1, `two relays at once deliver it once: ${JSON.stringify([...second, ...concurrent])}`)
  assert.is(await arrivals(waiting), 1)
  const variable = await admin.get<{ value: string }>(`/process-instance/${waiting}/variables/delivery?deserializeValue=false`)
  assert.equal(JSON.parse(variable.value), { signedBy: 'Zhang Wei' })

  // The second wait opens later: it gets the same event, once; the first is not touched again.
  const receipt = await start('outbox-receipt', number)
  await due()
  await api.relay!.runOnce()
  await due()
  assert.is((await api.relay!.runOnce()).size, 0, 'nothing left to deliver')
  assert.is(await arrivals(receipt), 1)
  assert.is(await arrivals(waiting), 1)
  const delivered = await outbox.listForOrder(number)
  assert.equal(delivered.map((r) => [r.target, r.state, r.process_instance_id]), [['outbox-wait', 'correlated', waiting], ['outbox-receipt', 'correlated', receipt]])
  assert.ok(delivered.every((r) => r.correlated_at && r.attempts >= 2))
  const recorded = await api.db('order_events').where({ order_number: number, outcome: 'correlated' }).orderBy('id')
  assert.equal(recorded.map((r) => r.process_instance_key), [waiting, receipt])
  const after = (await api.app.inject({ url: `/orders/${number}`, headers: { 'x-api-key': keys.integrator } })).json()
  assert.equal(after.events, [], 'delivered events are no longer listed')
})

test('a correlation the row never recorded (its answer lost) is found in the engine history: recorded once, not sent again', async () => {
  const number = orderNumber()
  await insertOrder(number)
  const outbox = createEventOutboxRepository(api.db)
  await outbox.add(event(number, ['outbox-receipt']))
  const [row] = await outbox.listForOrder(number)
  const receipt = await start('outbox-receipt', number)
  // The engine takes the message, then its answer is lost (a restart, PostgreSQL gone before the commit).
  const lossy = createEventRelay(api.db, {
    ...api.engine,
    correlateMessage: async (message) => {
      await api.engine.correlateMessage(message)
      throw new Error('socket hang up (the answer was lost)')
    },
  })
  assert.is(await lossy.deliver(row.id), 'failed')
  assert.is(await arrivals(receipt), 1, 'the engine did take it')
  assert.is((await api.db('event_outbox').where({ id: row.id }).first()).state, 'pending')
  // The next attempt finds nothing waiting, but the delivery in the engine's history: correlated, once.
  await api.db('event_outbox').where({ id: row.id }).update({ next_attempt_at: new Date(Date.now() - 1) })
  assert.is(await api.relay!.deliver(row.id), 'correlated')
  const after = await api.db('event_outbox').where({ id: row.id }).first()
  assert.equal([after.state, after.process_instance_id], ['correlated', receipt])
  assert.is(await arrivals(receipt), 1, 'not sent a second time')
  const [recorded] = await api.db('order_events').where({ order_number: number, outcome: 'correlated' })
  assert.match(JSON.stringify(recorded.details), /earlier correlation/)
})

test('an engine that cannot be reached: the event stays pending and is retried with back-off', async () => {
  const number = orderNumber()
  await insertOrder(number)
  await createEventOutboxRepository(api.db).add(event(number, ['outbox-receipt']))
  const down = createEventRelay(api.db, createApiEngine({ ...config, ENGINE_URL: 'http://127.0.0.1:9' }))
  const [row] = await createEventOutboxRepository(api.db).listForOrder(number)
  assert.is(await down.deliver(row.id), 'failed')
  const after = await api.db('event_outbox').where({ id: row.id }).first()
  assert.equal([after.state, after.attempts], ['pending', 1])
  assert.match(after.last_error, /cannot be reached/)
  assert.ok(new Date(after.next_attempt_at).getTime() > Date.now(), 'the next attempt waits')
  // An outage longer than the event's lifetime does not expire it: only the engine saying that
  // nothing waits can.
  await api.db('event_outbox').where({ id: row.id }).update({ next_attempt_at: new Date(Date.now() - 1), expires_at: new Date(Date.now() - 1) })
  assert.is(await down.deliver(row.id), 'failed')
  assert.is((await api.db('event_outbox').where({ id: row.id }).first()).state, 'pending', 'still pending after its lifetime, the engine being away')
  // Back up: the engine gets it, once.
  const receipt = await start('outbox-receipt', number)
  assert.is(await api.relay!.deliver(row.id), 'correlated')
  assert.is(await arrivals(receipt), 1)
})

test('an event that never finds its wait is kept until its lifetime ends, then reported as expired', async () => {
  const number = orderNumber()
  await insertOrder(number)
  await createEventOutboxRepository(api.db).add(event(number, ['outbox-wait'], 300))
  const [row] = await createEventOutboxRepository(api.db).listForOrder(number)
  assert.is(await api.relay!.deliver(row.id), 'waiting')
  await api.db('event_outbox').where({ id: row.id }).update({ next_attempt_at: new Date(Date.now() - 1), expires_at: new Date(Date.now() - 1) })
  assert.is((await api.relay!.runOnce()).get(row.id), 'expired')
  const view = (await api.app.inject({ url: `/orders/${number}`, headers: { 'x-api-key': keys.auditor } })).json()
  assert.is(view.events.length, 1)
  assert.equal([view.events[0].message, view.events[0].state, view.events[0].attempts], [message, 'expired', 1])
  assert.match(view.events[0].lastError, /waits for/)
  const [expired] = await api.db('order_events').where({ order_number: number, outcome: 'expired' })
  assert.is(expired.details.messageId, row.message_id)
  // An instance that arrives after the expiry does not get it.
  const late = await start('outbox-wait', number)
  assert.is((await api.relay!.runOnce()).get(row.id), undefined)
  assert.is(await arrivals(late), 0)
  const history = (await api.app.inject({ url: `/orders/${number}/history`, headers: { 'x-api-key': keys.auditor } })).json()
  assert.ok(history.items.some((i: { outcome: string }) => i.outcome === 'expired'), 'the expiry is on the timeline')
})

test.run()
