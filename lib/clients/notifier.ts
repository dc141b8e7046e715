/**
 * Customer notifications: one signed webhook per message; the receiving service sends the
 * e-mail, SMS or app message. `customer-notify` uses it. The live client posts to
 * NOTIFY_WEBHOOK_URL, signing the body with NOTIFY_WEBHOOK_SECRET (contract in
 * lib/clients/README.md); the sandbox records the message in memory and logs one line.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Config } from '../config.ts'
import { log } from '../log.ts'
import { callJson, requiredSetting, type ServiceEndpoint } from './http.ts'

/** Header carrying `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const signatureHeader = 'X-Order-Flow-Signature'

export interface Recipient {
  customerId?: string
  name?: string
  /** Optional: the receiving service may reach the customer another way. */
  email?: string
  phone?: string
}

export interface Notification {
  /** Stable per message, e.g. `<processInstanceKey>:<elementId>`: the same key is sent once. */
  idempotencyKey: string
  recipient: Recipient
  /** What to say, e.g. `shipment-booked`, `refund-completed`, `refund-declined`. */
  template: string
  /** The template's fields, e.g. carrier and tracking number. */
  payload: Record<string, unknown>
}

export type NotifyResult =
  | { delivered: true; duplicate: boolean }
  | { delivered: false; code: string; reason: string }

/** The notification channel as the workers see it, live or sandbox. */
export interface NotifierClient {
  /** Sends once; a refusal (e.g. unknown recipient) is returned, a technical fault thrown. */
  notify(notification: Notification): Promise<NotifyResult>
}

/** The signature header value for a body: `sha256=<hex HMAC-SHA256>`. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

/** What a receiver does: checks a signature header against the raw body, in constant time. */
export function verifySignature(secret: string, body: string, header: string | undefined): boolean {
  if (!header) return false
  const expected = Buffer.from(signBody(secret, body))
  const given = Buffer.from(header)
  return expected.length === given.length && timingSafeEqual(expected, given)
}

/**
 * The live webhook at NOTIFY_WEBHOOK_URL.
 * @throws ConfigError when NOTIFY_WEBHOOK_URL or NOTIFY_WEBHOOK_SECRET is not set.
 */
export function createNotifierClient(config: Config): NotifierClient {
  const secret = requiredSetting(config, 'NOTIFY_WEBHOOK_SECRET')
  const endpoint: ServiceEndpoint = {
    service: 'notification webhook',
    baseUrl: requiredSetting(config, 'NOTIFY_WEBHOOK_URL'),
    urlVariable: 'NOTIFY_WEBHOOK_URL',
    keyVariable: 'NOTIFY_WEBHOOK_SECRET',
    timeoutMs: config.OUTSIDE_CALL_TIMEOUT_MS,
  }
  return {
    async notify({ idempotencyKey, recipient, template, payload }) {
      const answer = await callJson(endpoint, {
        method: 'POST',
        path: '',
        idempotencyKey,
        body: { idempotencyKey, recipient, template, payload },
        headersFor: (body) => ({ [signatureHeader]: signBody(secret, body) }),
      })
      if (answer.kind === 'refused') return { delivered: false, code: answer.code, reason: answer.reason }
      return { delivered: true, duplicate: answer.duplicate }
    },
  }
}

/** The sandbox notifier: its `sent` list holds each message once, in order. */
export interface SandboxNotifier extends NotifierClient {
  readonly sent: readonly Notification[]
}

const sandboxKeep = 1000

/**
 * The in-process notifier of sandbox mode: records each message once per idempotency key (the
 * last 1000) and logs its template, not the recipient's details. Never refuses.
 */
export function createSandboxNotifier(): SandboxNotifier {
  const sent: Notification[] = []
  return {
    sent,
    async notify(notification) {
      if (sent.some((earlier) => earlier.idempotencyKey === notification.idempotencyKey)) {
        return { delivered: true, duplicate: true }
      }
      sent.push(structuredClone(notification))
      // A long-running sandbox (npm start) keeps the recent messages only.
      if (sent.length > sandboxKeep) sent.shift()
      log('info', 'notifier-sandbox', 'notification recorded (sandbox: not sent)', {
        template: notification.template,
        idempotencyKey: notification.idempotencyKey,
      })
      return { delivered: true, duplicate: false }
    },
  }
}
