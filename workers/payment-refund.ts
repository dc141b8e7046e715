/**
 * payment-refund — refunds a payment through the payment provider, exactly once per return or
 * cancellation (D3 退货 6, D9 1.1), and once per exchange request for a price difference (D9 1.1 3).
 *
 * Reads:   refund {orderNumber, returnNumber?, amount, currency?, reason?, idempotencyKey?}, the
 *          local input of return-refund and shop-order; or, without it, order {orderNumber}
 *          (contract-order's cancellation, which maps nothing): the amount is then the sum of the
 *          order's `payments` rows.
 * Writes:  refundResult {refundNumber, status, amount, currency, providerReference}
 * Errors:  REFUND_DECLINED with refundDeclineReason (shown by return-refund.refund-failed) and
 *          refundResult; the provider's decline is final, so it is never asked again.
 * Effects: the `refunds` row is inserted (or found) under its idempotency key before the provider
 *          is called with that key, and held (`select … for update`) across the call, so two runs
 *          of one job at once call the provider once; a row already succeeded or declined is
 *          answered from the row without calling. Its outcome and the `order_events` row commit
 *          together.
 *
 * The key is `refundIdempotencyKey` of lib/repositories/refunds.ts: `return:<returnNumber>` or
 * `cancellation:<orderNumber>` (whichever path of the diagram cancels the order, so a closed and
 * then cancelled order is refunded once). The diagram's own `refund.idempotencyKey` is used only
 * for what is neither, the exchange price difference (`exchange:<orderNumber>:<requestId>`).
 */
import { refundIdempotencyKey, type RefundRow } from '../lib/repositories/refunds.ts'
import { money, toCents, type Money } from '../lib/repositories/support.ts'
import { amountPattern } from '../lib/schemas.ts'
import { bpmnError, complete, stepKey, type Handler, type WorkerDeps } from '../lib/worker.ts'
import type { OutsideServices } from '../lib/clients/outside-services.ts'

export const taskType = 'payment-refund'

const orderNumber = { type: 'string', minLength: 1 } as const

export const variablesSchema = {
  type: 'object',
  anyOf: [{ required: ['refund'] }, { required: ['order'] }],
  properties: {
    refund: {
      type: 'object',
      required: ['orderNumber', 'amount'],
      properties: {
        idempotencyKey: { type: ['string', 'null'] },
        orderNumber,
        returnNumber: { type: ['string', 'null'] },
        amount: { type: ['number', 'string'], pattern: amountPattern },
        currency: { type: ['string', 'null'], pattern: '^[A-Z]{3}$' },
        reason: { type: ['string', 'null'] },
      },
    },
    order: {
      type: 'object',
      required: ['orderNumber'],
      properties: { orderNumber },
    },
  },
} as const

export const errorCodes = ['REFUND_DECLINED'] as const
type ErrorCode = (typeof errorCodes)[number]

export interface RefundInput {
  idempotencyKey?: string | null
  orderNumber: string
  returnNumber?: string | null
  amount: number | string
  currency?: string | null
  reason?: string | null
}

export interface Variables {
  refund?: RefundInput
  order?: { orderNumber: string }
}

/** The one key of this refund (see the module comment). */
export function refundKey(refund: Pick<RefundInput, 'orderNumber' | 'returnNumber' | 'idempotencyKey'>): string {
  if (!refund.returnNumber && refund.idempotencyKey?.startsWith('exchange:')) return refund.idempotencyKey
  return refundIdempotencyKey({ returnNumber: refund.returnNumber, orderNumber: refund.orderNumber })
}

/** What the process is told about the refund. */
export interface RefundResult {
  refundNumber: string
  status: RefundRow['status']
  amount: number
  currency: string
  providerReference: string | null
  reason?: string
}

type StepOutcome = { refunded: true; refundResult: RefundResult } | { refunded: false; reason: string; refundResult: RefundResult }

const resultOf = (row: RefundRow, status: RefundRow['status'], extra: Partial<RefundResult> = {}): RefundResult => ({
  refundNumber: row.refund_number,
  status,
  amount: toCents(row.amount) / 100,
  currency: row.currency,
  providerReference: row.provider_reference,
  ...extra,
})

export function createHandler({
  refunds,
  payments,
  events,
  outside,
}: Pick<WorkerDeps, 'refunds' | 'payments' | 'events'> & { outside: Pick<OutsideServices, 'payment'> }): Handler<Variables, ErrorCode> {
  /** The refund asked for: the diagram's `refund`, or the whole payment of a cancelled contract order. */
  async function requested(variables: Variables): Promise<RefundInput & { amount: Money }> {
    if (variables.refund) {
      const amount = money(variables.refund.amount)
      if (toCents(amount) <= 0) {
        throw new Error(`refund.amount must be above 0, got ${variables.refund.amount}: correct the refund input of the task (or do not route a zero refund here)`)
      }
      return { ...variables.refund, amount }
    }
    const number = variables.order!.orderNumber
    const amount = await payments.totalForOrder(number)
    if (toCents(amount) <= 0) {
      throw new Error(`no payment recorded in payments for order ${number}, so there is nothing to refund: record the payment, or set orderPaid to false in Cockpit, then retry`)
    }
    const [first] = await payments.listForOrder(number)
    return { orderNumber: number, amount, currency: first?.currency ?? 'CNY', reason: 'order-cancelled' }
  }

  return async (job) => {
    const refund = await requested(job.variables)
    const key = refundKey(refund)
    const clause = refund.returnNumber ? 'D3 退货 6' : 'D9 1.1'
    const { row: recorded } = await refunds.insertOrGet({
      order_number: refund.orderNumber,
      return_number: refund.returnNumber ?? null,
      amount: refund.amount,
      currency: refund.currency ?? 'CNY',
      idempotency_key: key,
    })

    // The row is held across the provider call: a concurrent run of this refund waits, then
    // finds it answered. Only a row still `requested` asks the provider; the key makes a repeated
    // ask (after a crash between the answer and the commit) harmless.
    const outcome = await refunds.hold(recorded.refund_number, async (row, held) => {
      const answer =
        row.status === 'requested'
          ? await outside.payment.refund({
              idempotencyKey: row.idempotency_key,
              orderNumber: row.order_number,
              amount: toCents(row.amount) / 100,
              currency: row.currency,
              reason: refund.reason ?? (refund.returnNumber ? 'return' : 'order-cancelled'),
            })
          : null

      return events.once<StepOutcome>(
        stepKey(job, refund.orderNumber, clause),
        async (trx) => {
          if (answer?.refunded === true) {
            const done = (await refunds.markSucceeded(row.refund_number, answer.providerReference, trx)) ?? row
            return { outcome: 'refunded', result: { refunded: true, refundResult: resultOf(done, 'succeeded') } }
          }
          if (answer?.refunded === false) {
            const reason = `${answer.reason} (${answer.code})`
            const done = (await refunds.markDeclined(row.refund_number, reason, trx)) ?? row
            return { outcome: 'declined', result: { refunded: false, reason, refundResult: resultOf(done, 'declined', { reason }) } }
          }
          if (row.status === 'succeeded') {
            return { outcome: 'already-refunded', result: { refunded: true, refundResult: resultOf(row, 'succeeded') } }
          }
          const reason = row.failure_reason ?? 'declined by the payment provider'
          return { outcome: 'declined', result: { refunded: false, reason, refundResult: resultOf(row, 'declined', { reason }) } }
        },
        held,
      )
    })

    if (outcome.refunded) return complete({ refundResult: outcome.refundResult })
    return bpmnError('REFUND_DECLINED', `refund ${key} declined: ${outcome.reason}`, {
      refundDeclineReason: outcome.reason,
      refundResult: outcome.refundResult,
    })
  }
}
