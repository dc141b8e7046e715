import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadConfig } from '../../lib/config.ts'
import { createDb } from '../../lib/db.ts'
import { createRepositories } from '../../lib/repositories/index.ts'
import type { JobContext } from '../../lib/worker.ts'
import { createHandler, errorCodes, variablesSchema, type SlaDeadlineVariables } from '../../workers/sla-deadline.ts'

// Runs against the migrated database of DATABASE_URL; element instance keys are unique per run.
const db = createDb(loadConfig().DATABASE_URL)
const { serviceLevelDeadlines } = createRepositories(db)
const run = Date.now()

const job = (bpmnProcessId: string, elementId: string, variables: SlaDeadlineVariables, elementInstanceKey = `${run}-1`): JobContext<SlaDeadlineVariables> => ({
  key: `${run}-job`, type: 'sla-deadline', processInstanceKey: `${run}`, bpmnProcessId, elementId, elementInstanceKey, retries: 3, customHeaders: {}, variables,
})

test.after(async () => {
  await db('service_level_deadlines').where({ process_instance_key: `${run}` }).delete()
  await db.destroy()
})

test('no diagram catches an error from sla-deadline; it fetches the variables the table reads', () => {
  assert.equal(errorCodes, [])
  for (const name of ['slaClock', 'order', 'productionPlan', 'purchaseRequest', 'shipment']) assert.ok(name in variablesSchema.properties, name)
})

test('the GM approval gets its due and follow-up dates, and the register keeps the first ones for a redelivery (D10 2C)', async () => {
  const handler = createHandler({ serviceLevelDeadlines })
  const variables = { order: { orderNumber: 'CO-2026-0042', priority: 'normal' }, slaClock: { now: '2026-11-27T17:00:00+08:00' } }
  const outcome = await handler(job('contract-order', 'GM_APPROVAL', variables))
  assert.equal(outcome, {
    kind: 'complete',
    variables: {
      sla: {
        gmApproval: {
          id: 'gmApproval', clause: 'D10 2C', kind: 'working-duration', limit: 'PT2H', urgent: false,
          startedAt: '2026-11-27T09:00:00.000Z', due: '2026-11-30T02:00:00.000Z', followUp: '2026-11-28T17:30:00.000Z',
          escalateTo: 'deputy-general-manager', interrupting: true,
        },
      },
    },
  })
  const again = await handler(job('contract-order', 'GM_APPROVAL', { ...variables, slaClock: { now: '2026-11-27T17:05:00+08:00' } }))
  assert.equal(again, outcome, 'a redelivered job gets the recorded deadline')
  const rows = await db('service_level_deadlines').where({ process_instance_key: `${run}`, sla_id: 'gmApproval' })
  assert.equal(rows.map((r) => [r.order_number, r.element_id, r.clause, new Date(r.due_at).toISOString(), r.breached_at]), [
    ['CO-2026-0042', 'GM_APPROVAL', 'D10 2C', '2026-11-30T02:00:00.000Z', null],
  ])
})

test('an element with two levels gets both (D2 二.一.1 and D10 5D, 10D)', async () => {
  const outcome = await createHandler({ serviceLevelDeadlines })(
    job('production-fulfilment', 'PRODUCTION_PLAN', { order: { orderNumber: 'CO-2026-0043', completeSet: true }, slaClock: { now: '2026-11-24T10:00:00+08:00' } }, `${run}-2`),
  )
  const sla = (outcome as unknown as { variables: { sla: Record<string, { due: string; limit: string }> } }).variables.sla
  assert.equal(Object.keys(sla).sort(), ['orderDecomposition', 'productionPlan'])
  assert.is(sla.productionPlan.limit, 'PT24H')
  assert.is(sla.productionPlan.due, '2026-11-25T02:00:00.000Z')
  assert.is(sla.orderDecomposition.due, '2026-11-25T02:00:00.000Z')
})

test('an element the table does not guard, or a clock that is no date, is a technical fault naming it', async () => {
  const handler = createHandler({ serviceLevelDeadlines })
  try {
    await handler(job('contract-order', 'DRAFT_CONTRACT', {}, `${run}-3`))
    assert.unreachable('must throw')
  } catch (error) {
    assert.match((error as Error).message, 'contract-order DRAFT_CONTRACT runs sla-deadline, but processes/service-levels.json has no level for this element')
  }
  try {
    await handler(job('contract-order', 'GM_APPROVAL', { slaClock: { now: 'tomorrow' } }, `${run}-4`))
    assert.unreachable('must throw')
  } catch (error) {
    assert.match((error as Error).message, 'slaClock.now "tomorrow" is not an ISO 8601 date-time')
  }
})

test.run()
