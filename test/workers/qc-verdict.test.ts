import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Knex } from 'knex'
import type { Inspection } from '../../lib/repositories/inspections.ts'
import type { StepKey, StepResult } from '../../lib/repositories/order-events.ts'
import type { JobContext } from '../../lib/worker.ts'
import { createHandler, judge, type InspectionRecord, type QcVariables } from '../../workers/qc-verdict.ts'

const incomingPlan = { plan: 'sampling', tightened: false, sampleSize: 20, passThreshold: 0.95, clause: 'D10 9H' }
const finalPlan = { plan: 'full', tightened: false, sampleSize: 12, passThreshold: 1, clause: 'D10 20G' }
const good: InspectionRecord = {
  inspectedQuantity: 20, passedQuantity: 20, reportNumber: 'IQC-1', modelMatches: true, partsComplete: true,
  appearanceOk: true, quantityMatchesDeliveryNote: true, problemKind: 'none', findings: '',
}

function fakes() {
  const rows: Inspection[] = []
  const results = new Map<string, unknown>()
  const steps: StepKey[] = []
  const deps = {
    inspections: {
      insertOrGet: async (inspection: Inspection) => {
        rows.push(inspection)
        return { row: { ...inspection, id: rows.length }, created: true }
      },
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
  }
  return { rows, steps, deps: deps as never }
}

const incoming = (inspection: Partial<InspectionRecord>, extra: Partial<QcVariables> = {}): QcVariables => ({
  inspectionKind: 'incoming',
  inspection: { ...good, ...inspection },
  qcPlan: incomingPlan,
  order: { orderNumber: 'CO-2026-0201' },
  goodsReceipt: { countedQuantity: 200, deliveryNoteQuantity: 200 },
  purchaseRequest: { requestNumber: 'PR-2026-000007' },
  ...extra,
})
const final = (passed: number): QcVariables => ({
  inspectionKind: 'final',
  inspection: { inspectedQuantity: 12, passedQuantity: passed, reportNumber: 'FQC-1', findings: 'scratched doors' },
  qcPlan: finalPlan,
  order: { orderNumber: 'CO-2026-0201' },
  production: { completedQuantity: 12 },
  rework: null,
})

const job = (variables: QcVariables, key = '401'): JobContext<QcVariables> => ({
  key, type: 'qc-verdict', processInstanceKey: '9201', bpmnProcessId: 'production-fulfilment',
  elementId: variables.inspectionKind === 'incoming' ? 'INCOMING_QC_VERDICT' : 'FINAL_QC_VERDICT',
  elementInstanceKey: '9202', retries: 3, customHeaders: {}, variables,
})

test('pass rate is (sample − defects) / sample against the plan threshold', () => {
  assert.equal(judge(incoming({ passedQuantity: 19 })), { verdict: 'pass', passRate: 0.95, reason: null })
  assert.equal(judge(incoming({ passedQuantity: 18 })), { verdict: 'escalate', passRate: 0.9, reason: 'Pass rate 90 % (18 of 20) is below 95 %' })
})

test('serious problems escalate an incoming lot, each named (D2 二.二.5(3))', () => {
  const verdict = judge(incoming({ modelMatches: false, partsComplete: false, appearanceOk: false, findings: 'ODF-144 delivered' }, { goodsReceipt: { countedQuantity: 180, deliveryNoteQuantity: 200 } }))
  assert.is(verdict.verdict, 'escalate')
  assert.is(verdict.reason, 'Specification or model does not match the order; Parts are missing; Appearance is not acceptable; Quantity differs from the delivery note: ODF-144 delivered')
  assert.is(judge(incoming({ problemKind: 'serious' })).verdict, 'escalate')
})

test('a general problem rejects the incoming lot; a final lot is never escalated', () => {
  assert.equal(judge(incoming({ problemKind: 'general', findings: 'loose screws' })), { verdict: 'reject', passRate: 1, reason: 'General quality problem: loose screws' })
  assert.equal(judge(final(10)), { verdict: 'rework', passRate: 0.8333, reason: 'Pass rate 83.3 % (10 of 12) is below 100 %: scratched doors' })
  assert.is(judge(final(12)).verdict, 'pass')
})

test('a passed lot completes with qcVerdict and records the inspection', async () => {
  const { rows, steps, deps } = fakes()
  const outcome = await createHandler(deps)(job(incoming({})))
  assert.equal(outcome, { kind: 'complete', variables: { qcVerdict: { verdict: 'pass', passRate: 1, reason: null } } })
  assert.equal(
    [rows[0].kind, rows[0].lot_size, rows[0].sample_size, rows[0].defects, rows[0].pass_rate, rows[0].purchase_request_number, rows[0].job_key],
    ['incoming', 200, 20, 0, '1.0000', 'PR-2026-000007', '401'],
  )
  assert.is(steps[0].clause, 'D2 二.二.5(3)')
})

test('QC_ESCALATE and LOT_REJECTED carry qcVerdict for the forms', async () => {
  const { rows, deps } = fakes()
  const handler = createHandler(deps)
  const escalated = await handler(job(incoming({ passedQuantity: 15 }), '402'))
  assert.equal(escalated, {
    kind: 'bpmn-error', code: 'QC_ESCALATE', message: 'Pass rate 75 % (15 of 20) is below 95 %',
    variables: { qcVerdict: { verdict: 'escalate', passRate: 0.75, reason: 'Pass rate 75 % (15 of 20) is below 95 %' } },
  })
  const rejected = await handler(job(incoming({ problemKind: 'general' }), '403'))
  assert.is(rejected.kind === 'bpmn-error' && rejected.code, 'LOT_REJECTED')
  const rework = await handler(job(final(11), '404'))
  assert.is(rework.kind === 'bpmn-error' && rework.code, 'LOT_REJECTED')
  assert.equal(rows.map((r) => [r.kind, r.verdict, r.purchase_request_number, r.lot_size]), [
    ['incoming', 'escalate', 'PR-2026-000007', 200], ['incoming', 'reject', 'PR-2026-000007', 200], ['final', 'rework', null, 12],
  ])
})

test('more units passed than inspected is a technical fault naming the field', async () => {
  const { rows, deps } = fakes()
  try {
    await createHandler(deps)(job(incoming({ passedQuantity: 21 })))
    assert.unreachable('should have thrown')
  } catch (error) {
    assert.match((error as Error).message, 'correct passedQuantity of the incoming inspection')
  }
  assert.is(rows.length, 0)
})

test('a redelivered job gets its first verdict and records nothing again', async () => {
  const { rows, deps } = fakes()
  const handler = createHandler(deps)
  const first = await handler(job(incoming({ passedQuantity: 10 }), '405'))
  const again = await handler(job(incoming({ passedQuantity: 10 }), '405'))
  assert.equal(again, first)
  assert.is(rows.length, 1)
})

test.run()
