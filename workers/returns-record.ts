/**
 * returns-record — records the finished return for analysis and comparison, to improve products
 * and service and reduce returns (D3 退货 7): what came back and in what state, the reason, the
 * refund decision and what was refunded.
 *
 * Reads:   returnRequest {returnNumber, orderNumber, items?, reason?, reasonKind?}, inspection?
 *          {items, itemState, tagsAndPackagingIntact, reasonConfirmed, inspectedOn, findings},
 *          refundDecision? (refund-decision table), refundAmount?, refundFailure? (finance's
 *          resolution of a declined refund, return-refund.refund-failed)
 * Writes:  returnRecord {returnNumber, status, refund, amountRefunded}
 * Errors:  none
 * Effects: the `returns` row (inserted when missing) gets the inspected items, the refund
 *          decision with what was refunded, and its final status: refunded when money went back
 *          (by the provider, per the `refunds` row of `return:<returnNumber>`, or by hand),
 *          else closed; the order's status returned, partially-refunded or refunded (what went
 *          back against its payments, `orderStatusAfterReturn`); with the `order_events` row, in
 *          one transaction.
 */
import { refundIdempotencyKey } from '../lib/repositories/refunds.ts'
import { toCents, yuan } from '../lib/money.ts'
import { complete, stepKey, type Handler, type WorkerDeps } from '../lib/worker.ts'
import { returnRequestSchema } from '../lib/schemas.ts'

export const taskType = 'returns-record'

const optionalObject = { type: ['object', 'null'] } as const

export const variablesSchema = {
  type: 'object',
  required: ['returnRequest'],
  properties: {
    returnRequest: returnRequestSchema,
    inspection: optionalObject,
    refundDecision: optionalObject,
    refundAmount: { type: ['number', 'string', 'null'] },
    refundFailure: optionalObject,
  },
} as const

export const errorCodes = [] as const

export interface Variables {
  returnRequest: { returnNumber: string; orderNumber: string; items?: unknown[] | null; reason?: string | null; reasonKind?: string | null }
  inspection?: { items?: unknown[] | null; [field: string]: unknown } | null
  refundDecision?: Record<string, unknown> | null
  refundAmount?: number | string | null
  refundFailure?: { resolution?: string | null; amountRefunded?: number | null; reference?: string | null; comment?: string | null } | null
}

/** How the refund ended, as the record keeps it. */
export type RefundEnd = 'provider' | 'manual' | 'declined-not-refunded' | 'none'

export interface ReturnRecord {
  returnNumber: string
  status: 'refunded' | 'closed'
  refund: RefundEnd
  amountRefunded: number
}

/**
 * The order's status once the return is done: refunded when what it paid has all gone back,
 * partially-refunded when some has, returned when the goods came back without a refund.
 */
export function orderStatusAfterReturn(paidCents: number, refundedCents: number, refundedNow: boolean): 'returned' | 'partially-refunded' | 'refunded' {
  if (!refundedNow) return 'returned'
  return refundedCents >= paidCents ? 'refunded' : 'partially-refunded'
}

export function createHandler({ returns, refunds, orders, events }: Pick<WorkerDeps, 'returns' | 'refunds' | 'orders' | 'events'>): Handler<Variables, never> {
  return async (job) => {
    const { returnRequest: request, inspection, refundDecision, refundAmount, refundFailure } = job.variables
    const result = await events.once(stepKey(job, request.orderNumber, 'D3 退货 7'), async (trx) => {
      await returns.insertOrGet(
        {
          return_number: request.returnNumber,
          order_number: request.orderNumber,
          reason: request.reason ?? null,
          reason_kind: request.reasonKind ?? null,
          items: request.items ?? [],
        },
        trx,
      )
      const refundRow = await refunds.findByIdempotencyKey(refundIdempotencyKey({ returnNumber: request.returnNumber, orderNumber: request.orderNumber }), trx)
      let refund: RefundEnd = 'none'
      let amountRefunded = 0
      if (refundRow?.status === 'succeeded') {
        refund = 'provider'
        amountRefunded = yuan(toCents(refundRow.amount))
      } else if (refundFailure?.resolution === 'refunded-manually') {
        refund = 'manual'
        amountRefunded = typeof refundFailure.amountRefunded === 'number' ? yuan(toCents(refundFailure.amountRefunded)) : 0
      } else if (refundRow?.status === 'declined' || refundFailure) {
        refund = 'declined-not-refunded'
      }

      if (inspection?.items) await returns.setItems(request.returnNumber, inspection.items, trx)
      await returns.setRefundDecision(
        request.returnNumber,
        {
          ...(refundDecision ?? {}),
          refundAmount: refundAmount ?? null,
          inspection: inspection ? { ...inspection, items: undefined } : null,
          refunded: {
            by: refund,
            amount: amountRefunded,
            refundNumber: refundRow?.refund_number ?? null,
            providerReference: refundRow?.provider_reference ?? null,
            declineReason: refundRow?.failure_reason ?? null,
            manualReference: refundFailure?.reference ?? null,
            comment: refundFailure?.comment ?? null,
          },
        },
        trx,
      )
      const status = refund === 'provider' || refund === 'manual' ? 'refunded' : 'closed'
      await returns.setStatus(request.returnNumber, status, trx)
      // A refund by hand has no refunds row: its amount counts on top of the rows.
      const { paid, refunded } = await refunds.refundableCents(request.orderNumber, '', trx)
      const manual = refund === 'manual' ? toCents(amountRefunded) : 0
      await orders.advance(request.orderNumber, orderStatusAfterReturn(paid, refunded + manual, status === 'refunded'), {}, trx)
      const record: ReturnRecord = { returnNumber: request.returnNumber, status, refund, amountRefunded }
      return { outcome: status, result: { returnRecord: record } }
    })
    return complete(result)
  }
}
