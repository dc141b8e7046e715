import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Knex } from 'knex'
import type { StepKey, StepResult } from '../../lib/repositories/order-events.ts'
import type { RefundRow } from '../../lib/repositories/refunds.ts'
import type { ReturnRequest, ReturnStatus } from '../../lib/repositories/returns.ts'
import type { JobContext } from '../../lib/worker.ts'
import { toCents } from '../../lib/money.ts'
import { createHandler, orderStatusAfterReturn, type Variables } from '../../workers/returns-record.ts'

interface Stored extends ReturnRequest {
  status: ReturnStatus
  refund_decision?: Record<string, unknown>
}

function fakes(refund?: Partial<RefundRow>, fail = false) {
  const rows = new Map<string, Stored>()
  const lookups: string[] = []
  const returns = {
    insertOrGet: async (request: ReturnRequest) => {
      if (fail) throw new Error('connection terminated unexpectedly')
      if (!rows.has(request.return_number!)) rows.set(request.return_number!, { ...request, status: 'requested' })
      return { row: rows.get(request.return_number!), created: true }
    },
    setItems: async (number: string, items: unknown[]) => void (rows.get(number)!.items = items),
    setRefundDecision: async (number: string, decision: Record<string, unknown>) => void (rows.get(number)!.refund_decision = JSON.parse(JSON.stringify(decision))),
    setStatus: async (number: string, status: ReturnStatus) => void (rows.get(number)!.status = status),
  }
  const refunds = {
    findByIdempotencyKey: async (key: string) => {
      lookups.push(key)
      return refund as RefundRow | undefined
    },
    // The order paid 520.00; its refunds rows: this return's when it succeeded.
    refundableCents: async () => {
      const refunded = refund?.status === 'succeeded' ? toCents(refund.amount!) : 0
      return { paid: 52000, refunded, refundable: 52000 - refunded }
    },
  }
  const statuses: string[] = []
  const orders = { advance: async (_n: string, status: string) => void statuses.push(status) }
  const results = new Map<string, unknown>()
  let works = 0
  const events = {
    once: async <R>(key: StepKey, work: (trx: Knex.Transaction) => Promise<StepResult<R>>) => {
      const id = `${key.step}/${key.job_key}`
      if (!results.has(id)) {
        works++
        results.set(id, (await work({} as Knex.Transaction)).result)
      }
      return results.get(id) as R
    },
  }
  return { rows, lookups, statuses, works: () => works, deps: { returns, refunds, orders, events } as never }
}

const inspection = {
  items: [{ sku: 'PP-24C6', productName: 'Patch panel', quantityRequested: 2, quantityReceived: 2, unitPrice: 260 }],
  itemState: 'defective',
  tagsAndPackagingIntact: true,
  findings: 'port 7 dead',
}
const variables: Variables = {
  returnRequest: { returnNumber: 'RT-2026-000001', orderNumber: 'SO-2026-0001', items: [{ sku: 'PP-24C6', quantity: 2 }], reason: 'does not work', reasonKind: 'defective' },
  inspection,
  refundDecision: { refund: 'full', refundPercentage: 100, shippingPaidBy: 'seller', clause: 'D3 6, D9 1.2.2' },
  refundAmount: 520,
}
const job = (vars: Variables = variables, key = '1001'): JobContext<Variables> => ({
  key,
  type: 'returns-record',
  processInstanceKey: '1101',
  bpmnProcessId: 'return-refund',
  elementId: 'RECORD_RETURN',
  elementInstanceKey: '1102',
  retries: 3,
  customHeaders: {},
  variables: vars,
})

test('a refunded return is recorded with its inspection, decision and refund', async () => {
  const { rows, lookups, statuses, deps } = fakes({ status: 'succeeded', amount: '520.00', refund_number: 'RF-2026-000001', provider_reference: 're_1', failure_reason: null })
  const outcome = await createHandler(deps)(job())
  assert.equal(statuses, ['refunded'], 'all that was paid went back')
  assert.equal(outcome, { kind: 'complete', variables: { returnRecord: { returnNumber: 'RT-2026-000001', status: 'refunded', refund: 'provider', amountRefunded: 520 } } })
  assert.equal(lookups, ['return:RT-2026-000001'])
  const row = rows.get('RT-2026-000001')!
  assert.is(row.status, 'refunded')
  assert.equal(row.items, inspection.items)
  assert.is(row.refund_decision?.refundPercentage, 100)
  assert.is(row.refund_decision?.refundAmount, 520)
  assert.equal(row.refund_decision?.inspection, { itemState: 'defective', tagsAndPackagingIntact: true, findings: 'port 7 dead' })
  assert.equal((row.refund_decision?.refunded as Record<string, unknown>).providerReference, 're_1')
})

test('a declined refund resolved by hand counts as refunded; not resolved, the return is closed', async () => {
  const declined = { status: 'declined' as const, amount: '520.00', refund_number: 'RF-2026-000002', provider_reference: null, failure_reason: 'disputed' }
  const manual = fakes(declined)
  const byHand = await createHandler(manual.deps)(job({ ...variables, refundFailure: { resolution: 'refunded-manually', amountRefunded: 520, reference: 'BANK-77' } }))
  assert.equal(byHand, { kind: 'complete', variables: { returnRecord: { returnNumber: 'RT-2026-000001', status: 'refunded', refund: 'manual', amountRefunded: 520 } } })
  assert.is((manual.rows.get('RT-2026-000001')!.refund_decision?.refunded as Record<string, unknown>).manualReference, 'BANK-77')
  assert.equal(manual.statuses, ['refunded'], 'the amount refunded by hand counts')
  const notRefunded = fakes(declined)
  const none = await createHandler(notRefunded.deps)(job({ ...variables, refundFailure: { resolution: 'not-refunded', comment: 'customer agreed a voucher' } }))
  assert.equal(none, { kind: 'complete', variables: { returnRecord: { returnNumber: 'RT-2026-000001', status: 'closed', refund: 'declined-not-refunded', amountRefunded: 0 } } })
})

test('a return without refund (decision none) is closed', async () => {
  const { rows, deps } = fakes()
  const outcome = await createHandler(deps)(job({ ...variables, refundDecision: { refund: 'none', refundPercentage: 0 }, refundAmount: 0 }))
  assert.equal(outcome, { kind: 'complete', variables: { returnRecord: { returnNumber: 'RT-2026-000001', status: 'closed', refund: 'none', amountRefunded: 0 } } })
  assert.is(rows.get('RT-2026-000001')!.status, 'closed')
})

test('the order ends returned, partially-refunded or refunded by what went back against what it paid', () => {
  assert.is(orderStatusAfterReturn(52000, 0, false), 'returned')
  assert.is(orderStatusAfterReturn(52000, 26000, true), 'partially-refunded')
  assert.is(orderStatusAfterReturn(1999, 1999, true), 'refunded')
})

test('a database fault is thrown', async () => {
  const { deps } = fakes(undefined, true)
  try {
    await createHandler(deps)(job())
    assert.unreachable('should throw')
  } catch (error) {
    assert.match((error as Error).message, /connection terminated/)
  }
})

test('a redelivered job gets the first result and records once', async () => {
  const { works, deps } = fakes()
  const handler = createHandler(deps)
  const first = await handler(job(variables, '1201'))
  const again = await handler(job(variables, '1201'))
  assert.equal(again, first)
  assert.is(works(), 1)
})

test.run()
