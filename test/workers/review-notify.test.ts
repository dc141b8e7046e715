import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { JobContext } from '../../lib/worker.ts'
import { createHandler, errorCodes, type ReviewNotifyVariables } from '../../workers/review-notify.ts'
import { notifyFakes } from './notify-fakes.ts'

const fakes = (options: { failSends?: number } = {}) => notifyFakes(options)

const order = {
  orderNumber: 'CO-2026-0002',
  customer: { name: 'Guangzhou Telecom Works' },
  lines: [{ productName: 'Distribution frame', model: 'DF-200', quantity: 4 }],
  deliveryDate: '2026-12-20',
  shippingMethod: 'road',
}

const job = (variables: ReviewNotifyVariables, headers: Record<string, string>, key = '201', elementId = 'REVIEW_NOTIFY'): JobContext<ReviewNotifyVariables> => ({
  key,
  type: 'review-notify',
  processInstanceKey: '5001',
  bpmnProcessId: 'contract-order',
  elementId,
  elementInstanceKey: '5002',
  retries: 3,
  customHeaders: headers,
  variables,
})

test('no diagram catches an error from review-notify', () => {
  assert.equal(errorCodes, [])
})

test('a regular order is copied to quality, warehouse and the workshop supervisor (D1 第5条 2)', async () => {
  const { rows, steps, sent, deps } = fakes()
  const orderClassification = { classification: 'regular', clause: 'D2 释义 1' }
  const outcome = await createHandler(deps)(job({ order, orderClassification }, { notice: 'regular-order-copies', recipients: 'quality,warehouse,workshop-supervisor' }))
  assert.equal(outcome, { kind: 'complete', variables: {} })
  assert.equal(rows.map((r) => [r.recipient, r.idempotency_key, r.template, r.status]), [
    ['group:quality', '5001:REVIEW_NOTIFY:5002:quality', 'regular-order-copies', 'sent'],
    ['group:warehouse', '5001:REVIEW_NOTIFY:5002:warehouse', 'regular-order-copies', 'sent'],
    ['group:workshop-supervisor', '5001:REVIEW_NOTIFY:5002:workshop-supervisor', 'regular-order-copies', 'sent'],
  ])
  assert.equal(sent[0].payload, {
    orderNumber: 'CO-2026-0002',
    customerName: 'Guangzhou Telecom Works',
    deliveryDate: '2026-12-20',
    shippingMethod: 'road',
    lines: [{ productName: 'Distribution frame', model: 'DF-200', quantity: 4 }],
    classification: orderClassification,
  })
  assert.equal(steps.map((s) => [s.outcome, s.key.clause]), [['notified', 'D1 第5条 2']])
})

test('the approved plan and technical files are released to the departments (D1 第5条 3)', async () => {
  const { rows, sent, steps, deps } = fakes()
  const productPlan = { description: 'DF-200 with side door', plannedDeliveryDate: '2026-12-28', technicalFiles: 'DWG-2211 rev B' }
  await createHandler(deps)(
    job(
      { order, productPlan, gmApproval: { decision: 'approved', decidedBy: 'general-manager', comment: 'internal' } },
      { notice: 'product-plan-released', recipients: 'procurement,quality,workshop-supervisor,admin' },
      '202',
      'RELEASE_TECHNICAL_FILES',
    ),
  )
  assert.equal(rows.map((r) => r.recipient), ['group:procurement', 'group:quality', 'group:workshop-supervisor', 'group:admin'])
  assert.equal(sent[3].recipient, { name: 'admin (行政部)' })
  assert.equal(sent[0].payload.productPlan, productPlan)
  assert.equal(sent[0].payload.gmApproval, { decision: 'approved', decidedBy: 'general-manager' })
  assert.is(steps[0].key.clause, 'D1 第5条 3')
})

test('a task without recipients is a technical fault that says which header to set', async () => {
  const { deps } = fakes()
  try {
    await createHandler(deps)(job({ order }, { notice: 'regular-order-copies' }))
    assert.unreachable('must throw')
  } catch (error) {
    assert.match((error as Error).message, /contract-order REVIEW_NOTIFY names no recipients: set its "recipients" task header/)
  }
})

test('a failed send is thrown; the retry sends the same row', async () => {
  const { rows, sent, deps } = fakes({ failSends: 1 })
  const handler = createHandler(deps)
  const headers = { notice: 'regular-order-copies', recipients: 'quality' }
  try {
    await handler(job({ order }, headers))
    assert.unreachable('a failed send must be thrown')
  } catch (error) {
    assert.match((error as Error).message, /regular-order-copies to group:quality: notification webhook answered 503/)
  }
  assert.is(rows[0].status, 'pending')
  await handler(job({ order }, headers))
  assert.is(rows.length, 1)
  assert.is(rows[0].status, 'sent')
  assert.is(sent.length, 1)
})

test('a redelivered job notifies once and gets the same result', async () => {
  const { rows, steps, sent, deps } = fakes()
  const handler = createHandler(deps)
  const headers = { notice: 'regular-order-copies', recipients: 'quality,warehouse' }
  const first = await handler(job({ order }, headers, '203'))
  const again = await handler(job({ order }, headers, '203'))
  assert.equal(again, first)
  assert.is(rows.length, 2)
  assert.is(steps.length, 1)
  assert.is(sent.length, 2)
})

test.run()
