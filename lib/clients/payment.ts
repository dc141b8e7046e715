/**
 * The payment provider: refunds a payment, exactly once per idempotency key. `payment-refund`
 * uses it; a decline (`refunded: false`) becomes its BPMN error REFUND_DECLINED. The live client
 * talks to PAYMENT_API_URL (contract in lib/clients/README.md); the sandbox answers in-process.
 */
import { createHash } from 'node:crypto'
import type { Config } from '../config.ts'
import { callJson, requiredSetting, requireString, type ServiceEndpoint } from './http.ts'

export interface RefundRequest {
  /** Stable per refund, e.g. `return:<returnNumber>`: the same key never refunds twice. */
  idempotencyKey: string
  orderNumber: string
  /** In major units of `currency` (129.50 means 129 yuan 50 fen), greater than 0. */
  amount: number
  /** ISO 4217, e.g. `CNY`. */
  currency: string
  reason: string
}

export type RefundResult = { refunded: true; providerReference: string } | { refunded: false; code: string; reason: string }

/** The payment provider as the workers see it, live or sandbox. */
export interface PaymentClient {
  /** Refunds; a decline is returned, a technical fault thrown (OutsideServiceError). */
  refund(request: RefundRequest): Promise<RefundResult>
}

function checkAmount({ amount, currency }: RefundRequest): void {
  if (!Number.isFinite(amount) || amount <= 0) throw new Error(`refund amount must be a number above 0, got ${amount}`)
  if (!/^[A-Z]{3}$/.test(currency)) throw new Error(`refund currency must be an ISO 4217 code such as CNY, got "${currency}"`)
}

/**
 * The live payment provider API at PAYMENT_API_URL.
 * @throws ConfigError when PAYMENT_API_URL is not set.
 */
export function createPaymentClient(config: Config): PaymentClient {
  const endpoint: ServiceEndpoint = {
    service: 'payment API',
    baseUrl: requiredSetting(config, 'PAYMENT_API_URL'),
    apiKey: config.PAYMENT_API_KEY,
    urlVariable: 'PAYMENT_API_URL',
    keyVariable: 'PAYMENT_API_KEY',
    timeoutMs: config.OUTSIDE_CALL_TIMEOUT_MS,
  }
  return {
    async refund(request) {
      checkAmount(request)
      const { idempotencyKey, ...refund } = request
      const answer = await callJson(endpoint, { method: 'POST', path: '/refunds', idempotencyKey, body: refund })
      if (answer.kind === 'refused') return { refunded: false, code: answer.code, reason: answer.reason }
      return { refunded: true, providerReference: requireString(endpoint, answer, 'providerReference') }
    },
  }
}

/** Largest refund the sandbox provider grants, in any currency's major units. */
export const sandboxRefundLimit = 50000

/**
 * The in-process provider of sandbox mode. Deterministic: the reference is derived from the
 * idempotency key. It declines, so tests and demos can reach REFUND_DECLINED, when the amount is
 * above `sandboxRefundLimit` or the reason contains "decline".
 */
export function createSandboxPayment(): PaymentClient {
  return {
    async refund(request) {
      checkAmount(request)
      if (request.amount > sandboxRefundLimit) {
        return { refunded: false, code: 'limit_exceeded', reason: `${request.amount} ${request.currency} is above the sandbox limit of ${sandboxRefundLimit}` }
      }
      if (/decline/i.test(request.reason)) {
        return { refunded: false, code: 'declined', reason: 'the sandbox provider declines reasons containing "decline"' }
      }
      const reference = createHash('sha256').update(request.idempotencyKey).digest('hex').slice(0, 16)
      return { refunded: true, providerReference: `sbx_rf_${reference}` }
    },
  }
}
