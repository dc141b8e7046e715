/**
 * payment-refund — refunds a payment through the payment provider, exactly once per return or
 * cancellation (D3 退货 6, D9 1.1), and once per exchange request for a price difference (D9 1.1 3).
 *
 * Reads:   refund {orderNumber, returnNumber?, amount, currency?, reason?, idempotencyKey?}, the
 *          local input of return-refund and shop-order; or, without it, order {orderNumber}
 *          (contract-order's cancellation, which maps nothing): all that is left to refund.
 * Writes:  refundResult {refundNumber, status, amount, currency, providerReference}
 * Errors:  REFUND_DECLINED with refundDeclineReason (shown by the refund-failed forms) and
 *          refundResult: the provider declined (final, so it is never asked again), or nothing
 *          is left to refund (refundResult null, no refund row): finance is told why.
 * Effects: a refund never exceeds what the order paid (its `payments` rows) minus what its other
 *          refunds took (succeeded or under way): the amount asked is capped to that, in integer
 *          cents, while the order row is locked. The `refunds` row is inserted (or found) under
 *          its idempotency key before the provider is called with that key, and held
 *          (`select … for update`) across the call, so two runs of one job at once call the
 *          provider once; a row already succeeded or declined is answered from the row without
 *          calling. Its outcome and the `order_events` row commit together.
 *
 * The key is `refundIdempotencyKey` of lib/repositories/refunds.ts: `return:<returnNumber>` or
 * `cancellation:<orderNumber>` (whichever path of the diagram cancels the order, so a closed and
 * then cancelled order is refunded once). The diagram's own `refund.idempotencyKey` is used only
 * for what is neither, the exchange price difference (`exchange:<orderNumber>:<requestId>`).
 */
import { refundIdempotencyKey, type RefundRow } from '../lib/repositories/refunds.ts'
import { amountKeyword, fromCents, toCents, yuan } from '../lib/money.ts'
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
        amount: { type: ['number', 'string'], pattern: amountPattern, [amountKeyword]: true },
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
  amount: yuan(toCents(row.amount)),
  currency: row.currency,
  providerReference: row.provider_reference,
  ...extra,
})

export function createHandler({
  db,
  refunds,
  payments,
  events,
  outside,
}: Pick<WorkerDeps, 'db' | 'refunds' | 'payments' | 'events'> & { outside: Pick<OutsideServices, 'payment'> }): Handler<Variables, ErrorCode> {
  /** The refund asked for, in cents: the diagram's `refund`, or (null) all that is left of a cancelled contract order's payments. */
  function requested(variables: Variables): RefundInput & { cents: number | null } {
    if (variables.refund) return { ...variables.refund, cents: toCents(variables.refund.amount) }
    return { orderNumber: variables.order!.orderNumber, amount: 0, reason: 'order-cancelled', cents: null }
  }

  /**
   * The refund's row: the one recorded before under its key, else a new one for what was asked,
   * at most what the order paid (its `payments` rows) minus what other refunds took. When nothing
   * is left to refund, no row is written and the reason is returned instead.
   */
  async function recorded(refund: ReturnType<typeof requested>, key: string): Promise<{ row: RefundRow } | { nothing: string }> {
    const earlier = await refunds.findByIdempotencyKey(key)
    if (earlier) return { row: earlier }
    return db.transaction(async (trx) => {
      await trx('orders').where({ order_number: refund.orderNumber }).forUpdate().first('order_number')
      const { paid, refunded, refundable } = await refunds.refundableCents(refund.orderNumber, key, trx)
      const cents = refund.cents === null ? refundable : Math.min(refund.cents, refundable)
      if (cents <= 0) {
        const asked = refund.cents === null ? '' : `, asked ${fromCents(refund.cents)}`
        return { nothing: `nothing to refund on order ${refund.orderNumber}: paid ${fromCents(paid)} (payments), already refunded ${fromCents(refunded)}${asked}` }
      }
      const currency = refund.currency ?? (await payments.listForOrder(refund.orderNumber, trx))[0]?.currency ?? 'CNY'
      const { row } = await refunds.insertOrGet(
        { order_number: refund.orderNumber, return_number: refund.returnNumber ?? null, amount: fromCents(cents), currency, idempotency_key: key },
        trx,
      )
      return { row }
    })
  }

  return async (job) => {
    const refund = requested(job.variables)
    const key = refundKey(refund)
    const clause = refund.returnNumber ? 'D3 退货 6' : 'D9 1.1'
    const found = await recorded(refund, key)
    if ('nothing' in found) {
      // Nothing paid is left to refund: finance is told why (the REFUND_DECLINED task), and the history says so.
      const reason = await events.once(stepKey(job, refund.orderNumber, clause), async () => ({ outcome: 'nothing-to-refund', result: found.nothing }))
      return bpmnError('REFUND_DECLINED', `refund ${key} not possible: ${reason}`, { refundDeclineReason: reason, refundResult: null })
    }

    const outcome = await refunds.hold(found.row.refund_number, async (row, held) => {
      const answer =
        row.status === 'requested'
          ? await outside.payment.refund({
              idempotencyKey: row.idempotency_key,
              orderNumber: row.order_number,
              amount: yuan(toCents(row.amount)),
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
