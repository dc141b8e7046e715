import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Knex } from 'knex'
import type { RefundRequest, RefundResult } from '../../lib/clients/payment.ts'
import type { StepKey, StepResult } from '../../lib/repositories/order-events.ts'
import type { Refund, RefundRow } from '../../lib/repositories/refunds.ts'
import type { JobContext } from '../../lib/worker.ts'
import { Ajv } from 'ajv'
import { addAmountKeyword, toCents } from '../../lib/money.ts'
import { describeSchemaErrors } from '../../lib/worker-runtime.ts'
import { createHandler, refundKey, variablesSchema, type Variables } from '../../workers/payment-refund.ts'

/** `paid`: what the order's payments rows add up to (the cap of every refund). */
function fakes(answer: RefundResult | Error = { refunded: true, providerReference: 're_1' }, paid = '1000.00') {
  const rows = new Map<string, RefundRow>()
  const calls: RefundRequest[] = []
  const steps: StepKey[] = []
  const results = new Map<string, unknown>()
  const update = (number: string, change: Partial<RefundRow>) => {
    const row = [...rows.values()].find((r) => r.refund_number === number)!
    Object.assign(row, change)
    return { ...row }
  }
  const refunds = {
    insertOrGet: async (refund: Refund) => {
      const existing = rows.get(refund.idempotency_key)
      if (existing) return { row: { ...existing }, created: false }
      const row: RefundRow = {
        refund_number: `RF-2026-${String(rows.size + 1).padStart(6, '0')}`,
        return_number: null,
        currency: 'CNY',
        ...refund,
        status: 'requested',
        provider_reference: null,
        failure_reason: null,
        requested_at: new Date(),
        completed_at: null,
      } as RefundRow
      rows.set(refund.idempotency_key, row)
      return { row: { ...row }, created: true }
    },
    findByIdempotencyKey: async (key: string) => (rows.has(key) ? { ...rows.get(key)! } : undefined),
    refundableCents: async (orderNumber: string, exceptKey: string) => {
      const refunded = [...rows.values()]
        .filter((r) => r.order_number === orderNumber && r.idempotency_key !== exceptKey && r.status !== 'declined')
        .reduce((sum, r) => sum + toCents(r.amount), 0)
      return { paid: toCents(paid), refunded, refundable: Math.max(0, toCents(paid) - refunded) }
    },
    markSucceeded: async (number: string, reference: string) => update(number, { status: 'succeeded', provider_reference: reference }),
    markDeclined: async (number: string, reason: string) => update(number, { status: 'declined', failure_reason: reason }),
    hold: async <R>(number: string, work: (row: RefundRow, trx: Knex.Transaction) => Promise<R>) =>
      work({ ...[...rows.values()].find((r) => r.refund_number === number)! }, {} as Knex.Transaction),
  }
  const payments = {
    totalForOrder: async () => paid,
    listForOrder: async () => (paid === '0.00' ? [] : [{ currency: 'CNY' }]),
  }
  const events = {
    once: async <R>(key: StepKey, work: (trx: Knex.Transaction) => Promise<StepResult<R>>) => {
      const id = `${key.step}/${key.job_key}`
      if (!results.has(id)) {
        steps.push(key)
        results.set(id, (await work({} as Knex.Transaction)).result)
      }
      return results.get(id) as R
    },
  }
  const payment = {
    refund: async (request: RefundRequest) => {
      calls.push(request)
      if (answer instanceof Error) throw answer
      return answer
    },
  }
  // The order row lock the cap is computed under: nothing to lock in a fake.
  const trx = () => ({ where: () => ({ forUpdate: () => ({ first: async () => ({}) }) }) })
  const db = { transaction: async <R>(work: (trx: unknown) => Promise<R>) => work(trx) }
  return { rows, calls, steps, deps: { db, refunds, payments, events, outside: { payment } } as never }
}

const job = (variables: Variables, key = '301', elementId = 'REFUND_PAYMENT'): JobContext<Variables> => ({
  key,
  type: 'payment-refund',
  processInstanceKey: '7001',
  bpmnProcessId: 'return-refund',
  elementId,
  elementInstanceKey: '7002',
  retries: 3,
  customHeaders: {},
  variables,
})

const returnRefund = { idempotencyKey: 'return:RT-2026-000001', orderNumber: 'SO-2026-0001', returnNumber: 'RT-2026-000001', amount: 129.5, reason: 'return' }

test('the key is the repository one for returns and cancellations, the diagram one for an exchange', () => {
  assert.is(refundKey(returnRefund), 'return:RT-2026-000001')
  assert.is(refundKey({ idempotencyKey: 'close:SO-2026-0001', orderNumber: 'SO-2026-0001' }), 'cancellation:SO-2026-0001')
  assert.is(refundKey({ idempotencyKey: 'cancel:SO-2026-0001', orderNumber: 'SO-2026-0001' }), 'cancellation:SO-2026-0001')
  assert.is(refundKey({ idempotencyKey: 'exchange:SO-2026-0001:2', orderNumber: 'SO-2026-0001' }), 'exchange:SO-2026-0001:2')
})

test('a return is recorded, then refunded with its key, and the result stored', async () => {
  const { rows, calls, steps, deps } = fakes()
  const outcome = await createHandler(deps)(job({ refund: returnRefund }))
  assert.equal(outcome, {
    kind: 'complete',
    variables: { refundResult: { refundNumber: 'RF-2026-000001', status: 'succeeded', amount: 129.5, currency: 'CNY', providerReference: 're_1' } },
  })
  assert.equal(calls, [{ idempotencyKey: 'return:RT-2026-000001', orderNumber: 'SO-2026-0001', amount: 129.5, currency: 'CNY', reason: 'return' }])
  const row = rows.get('return:RT-2026-000001')!
  assert.is(row.amount, '129.50')
  assert.is(row.return_number, 'RT-2026-000001')
  assert.is(row.status, 'succeeded')
  assert.is(steps[0].clause, 'D3 退货 6')
})

test('a decline is REFUND_DECLINED with refundDeclineReason, and is not asked again', async () => {
  const { rows, calls, deps } = fakes({ refunded: false, code: 'charge_disputed', reason: 'the charge is under dispute' })
  const handler = createHandler(deps)
  const outcome = await handler(job({ refund: returnRefund }))
  assert.is(outcome.kind, 'bpmn-error')
  if (outcome.kind !== 'bpmn-error') return
  assert.is(outcome.code, 'REFUND_DECLINED')
  assert.is(outcome.variables?.refundDeclineReason, 'the charge is under dispute (charge_disputed)')
  assert.is(rows.get('return:RT-2026-000001')!.status, 'declined')
  const later = await handler(job({ refund: returnRefund }, '302'))
  assert.is(later.kind, 'bpmn-error')
  assert.is(calls.length, 1)
})

test('a refund already succeeded completes without calling the provider', async () => {
  const { calls, deps } = fakes()
  const handler = createHandler(deps)
  const close = { idempotencyKey: 'close:SO-2026-0002', orderNumber: 'SO-2026-0002', amount: '300', reason: 'out-of-stock' }
  const first = await handler(job({ refund: close }, '401'))
  const cancel = await handler(job({ refund: { ...close, idempotencyKey: 'cancel:SO-2026-0002', reason: 'cancelled-before-shipment' } }, '402', 'REFUND_ON_CANCEL'))
  assert.is(calls.length, 1)
  assert.is(calls[0].idempotencyKey, 'cancellation:SO-2026-0002')
  assert.equal(cancel, first)
})

test('a redelivered job gets the first result and refunds once', async () => {
  const { calls, deps } = fakes()
  const handler = createHandler(deps)
  const first = await handler(job({ refund: returnRefund }, '501'))
  const again = await handler(job({ refund: returnRefund }, '501'))
  assert.equal(again, first)
  assert.is(calls.length, 1)
})

test('a cancelled contract order is refunded what it paid', async () => {
  const { calls, deps } = fakes(undefined, '1200.00')
  const outcome = await createHandler(deps)(job({ order: { orderNumber: 'CO-2026-0001' } }))
  assert.is(outcome.kind, 'complete')
  assert.equal(calls[0], { idempotencyKey: 'cancellation:CO-2026-0001', orderNumber: 'CO-2026-0001', amount: 1200, currency: 'CNY', reason: 'order-cancelled' })
})

test('a refund never exceeds what was paid minus what was refunded: 19.99 paid, 0.07 refunded before', async () => {
  const { rows, calls, deps } = fakes(undefined, '19.99')
  const handler = createHandler(deps)
  await handler(job({ refund: { idempotencyKey: 'exchange:SO-2026-0001:1', orderNumber: 'SO-2026-0001', amount: 0.07 } }, '601', 'REFUND_DIFFERENCE'))
  const outcome = await handler(job({ refund: { ...returnRefund, amount: 19.99 } }, '602'))
  assert.is(outcome.kind, 'complete')
  assert.is(rows.get('return:RT-2026-000001')!.amount, '19.92')
  assert.equal(calls.map((c) => c.amount), [0.07, 19.92])
})

test('nothing left to refund (nothing paid, or all refunded) is REFUND_DECLINED saying why, with no refund row and no provider call', async () => {
  const unpaid = fakes(undefined, '0.00')
  const outcome = await createHandler(unpaid.deps)(job({ order: { orderNumber: 'CO-2026-0001' } }))
  assert.is(outcome.kind, 'bpmn-error')
  if (outcome.kind !== 'bpmn-error') return
  assert.is(outcome.code, 'REFUND_DECLINED')
  assert.is(outcome.variables?.refundDeclineReason, 'nothing to refund on order CO-2026-0001: paid 0.00 (payments), already refunded 0.00')
  assert.is(outcome.variables?.refundResult, null)
  assert.is(unpaid.rows.size, 0)
  assert.is(unpaid.calls.length, 0)

  const refunded = fakes(undefined, '260.00')
  await createHandler(refunded.deps)(job({ refund: { idempotencyKey: 'cancel:SO-2026-0001', orderNumber: 'SO-2026-0001', amount: 260 } }, '701'))
  const zero = await createHandler(refunded.deps)(job({ refund: { ...returnRefund, amount: 0 } }, '702'))
  assert.is(zero.kind === 'bpmn-error' && zero.variables?.refundDeclineReason, 'nothing to refund on order SO-2026-0001: paid 260.00 (payments), already refunded 260.00, asked 0.00')
  assert.is(refunded.rows.size, 1)
})

test('refund amounts: 19.99, 0.07 and 0.29 are taken, three decimals are refused naming the field', () => {
  const validate = addAmountKeyword(new Ajv({ allErrors: true, strict: false })).compile(variablesSchema)
  for (const amount of [19.99, 0.07, 0.29, '19.99', 0]) assert.ok(validate({ refund: { orderNumber: 'SO-2026-0001', amount } }), String(amount))
  assert.not.ok(validate({ refund: { orderNumber: 'SO-2026-0001', amount: 0.125 } }))
  assert.match(describeSchemaErrors(validate.errors), /refund\.amount must be an amount with at most two decimals/)
})

test('technical faults are thrown: a provider failure', async () => {
  const down = fakes(new Error('payment API answered 503 Service Unavailable for POST /refunds'))
  try {
    await createHandler(down.deps)(job({ refund: returnRefund }))
    assert.unreachable('should throw')
  } catch (error) {
    assert.match((error as Error).message, /503/)
  }
  // the row stays requested, so the retry asks the provider again with the same key
  assert.is(down.rows.get('return:RT-2026-000001')!.status, 'requested')
})

test.run()
