/**
 * Events into running orders. Each gets a `messageId` (derived from the caller and its
 * Idempotency-Key, so a retried request can never count twice) and is kept in the outbox
 * (`event_outbox`, one row per process wait it is for) and recorded in `order_events`, in the
 * same transaction as the idempotency record. The engine keeps no message, so the event is
 * correlated right after the commit when its wait is open, and by the relay (lib/event-relay.ts)
 * once it opens, until the message's lifetime ends.
 */
import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import { sha256 } from '../auth.ts'
import { createEventOutboxRepository } from '../../lib/repositories/event-outbox.ts'
import { shippedOrLater } from '../../lib/order-status.ts'
import { idempotencyHeaders, once } from '../idempotency.ts'
import { ApiProblem, notFound, problems } from '../problems.ts'
import { amount, date, dateTime, eventAccepted, orderNumberParams, text } from '../schemas.ts'
import type { ApiDeps } from '../server.ts'

const minute = 60000

interface EventRoute {
  path: string
  message: string
  summary: string
  description: string
  /** The clause of the catch events that wait for the message. */
  clause: string
  /** Name of the process variable the body becomes. */
  variable: string
  body: Record<string, unknown>
  /** How long the event is kept for a wait that opens later; then it is reported as expired. */
  lifetime: number
  /**
   * The processes (definition keys) whose waits receive the message, for an order of this
   * channel: one outbox row each, so a message two waits need reaches both, once each.
   */
  targets: (channel: 'contract' | 'shop') => string[]
  /** Correlation key shown to the caller: the order number unless the event names another. */
  correlationKey?: (body: Record<string, unknown>) => string
  /** Process variables the waiting instance must carry (beyond the order number as business key). */
  correlationKeys?: (body: Record<string, unknown>) => Record<string, string>
  /** Variables the waiting execution itself must carry (one wait of several in one instance). */
  localCorrelationKeys?: (body: Record<string, unknown>) => Record<string, string>
  /** The variable's value when it is more than the body (e.g. the request's own id). */
  variableValue?: (body: Record<string, unknown>, messageId: string) => Record<string, unknown>
  /** Checks and writes of its own, in the request's transaction. */
  before?: (trx: Knex.Transaction, orderNumber: string, body: Record<string, unknown>, messageId: string) => Promise<Record<string, unknown> | void>
}

const orderProcess = (channel: 'contract' | 'shop') => [channel === 'contract' ? 'contract-order' : 'shop-order']

const object = (required: string[], properties: Record<string, unknown>) => ({ type: 'object', required, additionalProperties: false, properties })

/** Order statuses after which a cancellation is refused (contract-order ORDER_CANCEL): shipped and every later one (the final ones among them). */
const finishedStatuses: readonly string[] = shippedOrLater

const events: EventRoute[] = [
  {
    path: 'changes',
    clause: 'D2 一.五.2',
    message: 'order-change-requested',
    summary: 'The customer asks for a change',
    description: 'D2 一.五.2 — the change is assessed within 30 minutes (minor, delivery date, structure).',
    variable: 'changeRequest',
    body: object(['description'], { description: text(2000), requestedBy: text(200), requestedAt: dateTime }),
    lifetime: minute,
    targets: orderProcess,
    // Each request is its own exchange: its price difference is refunded under its own key
    // (shop-order REFUND_DIFFERENCE: exchange:<orderNumber>:<requestId>), a retried request under the same one.
    variableValue: (body, messageId) => ({ ...body, requestId: messageId }),
  },
  {
    path: 'cancellation',
    clause: 'D9 1.1',
    message: 'order-cancel-requested',
    summary: 'The customer cancels the order (before shipment only)',
    description: 'Releases reservations and refunds a paid order (D9 1.1). Once the order has shipped the API refuses (409 order-already-shipped): the customer returns the goods instead.',
    variable: 'cancellation',
    body: object(['reason'], { reason: text(2000), requestedBy: text(200) }),
    lifetime: minute,
    targets: orderProcess,
    async before(trx, orderNumber) {
      const order = await trx('orders').where({ order_number: orderNumber }).first('status')
      const shipped = await trx('shipments').where({ order_number: orderNumber }).first('status')
      if (shipped || finishedStatuses.includes(order.status)) {
        throw new ApiProblem(409, 'order-already-shipped', 'Too late to cancel',
          `Order ${orderNumber} is ${shipped ? `shipped (${shipped.status})` : order.status}; return the goods with POST /returns instead.`)
      }
    },
  },
  {
    path: 'contract-signed',
    clause: 'D2 一.四',
    message: 'contract-signed',
    summary: 'The customer signed the contract',
    description: 'D2 一.四 — the contract is signed; it becomes effective with the payment.',
    variable: 'contractSigning',
    body: object(['signedOn', 'signedBy'], { contractNumber: text(100), signedOn: date, signedBy: text(200) }),
    lifetime: minute,
    targets: () => ['contract-order'],
  },
  {
    path: 'payments',
    clause: 'D2 一.四; D4 一.3',
    message: 'payment-received',
    summary: 'A payment arrived',
    description: 'D2 一.四, D4 一.3 — records the payment (one payments row per request, whatever the retries) and tells the order.',
    variable: 'payment',
    body: object(['amount'], {
      amount: { ...amount, exclusiveMinimum: 0 },
      currency: { type: 'string', pattern: '^[A-Z]{3}$', default: 'CNY' },
      kind: { enum: ['deposit', 'balance', 'full'], default: 'full' },
      reference: text(200),
      receivedAt: dateTime,
    }),
    lifetime: minute,
    targets: orderProcess,
    async before(trx, orderNumber, body, messageId) {
      const [row] = await trx('payments')
        .insert({
          order_number: orderNumber, kind: body.kind ?? 'full', amount: body.amount, currency: body.currency ?? 'CNY',
          reference: body.reference ?? null, received_at: body.receivedAt ?? new Date().toISOString(), message_id: messageId,
        })
        .onConflict('message_id')
        .ignore()
        .returning('id')
      const id = row?.id ?? (await trx('payments').where({ message_id: messageId }).first('id')).id
      return { paymentId: Number(id) }
    },
  },
  {
    path: 'goods-received',
    clause: 'D10 8F',
    message: 'goods-received',
    summary: 'Purchased goods reached the warehouse',
    description: 'D10 8F — correlated by the purchase request number; the warehouse then counts and requests inspection.',
    variable: 'goodsReceipt',
    body: object(['requestNumber', 'countedQuantity'], {
      requestNumber: { type: 'string', pattern: '^[A-Z]{2}-[0-9A-Za-z-]{1,40}$' },
      countedQuantity: { type: 'integer', minimum: 0, maximum: 10000000 },
      deliveryNote: text(200),
      receivedAt: dateTime,
    }),
    lifetime: minute,
    targets: () => ['production-fulfilment'],
    localCorrelationKeys: (body) => ({ requestNumber: String(body.requestNumber) }),
    correlationKey: (body) => String(body.requestNumber),
    async before(trx, orderNumber, body) {
      const request = await trx('purchase_requests').where({ request_number: body.requestNumber, order_number: orderNumber }).first('request_number')
      if (!request) throw notFound('purchase-request', `${String(body.requestNumber)} of order ${orderNumber}`)
    },
  },
  {
    path: 'returned-goods',
    clause: 'D3 退货 5',
    message: 'return-received',
    summary: 'Returned goods reached the warehouse',
    description: 'D3 退货 5 — correlated by the return number (from POST /returns); the warehouse then inspects the return.',
    variable: 'returnReceipt',
    body: object(['returnNumber'], {
      returnNumber: { type: 'string', pattern: '^[A-Z]{2}-[0-9A-Za-z-]{1,40}$' },
      receivedAt: dateTime,
      note: text(2000),
    }),
    lifetime: minute,
    targets: () => ['return-refund'],
    correlationKeys: (body) => ({ returnNumber: String(body.returnNumber) }),
    correlationKey: (body) => String(body.returnNumber),
    async before(trx, orderNumber, body) {
      const found = await trx('returns').where({ return_number: body.returnNumber, order_number: orderNumber }).first('return_number')
      if (!found) throw notFound('return', `${String(body.returnNumber)} of order ${orderNumber}`)
    },
  },
  {
    path: 'delivery-confirmations',
    clause: 'D10 23B; D3 8',
    message: 'delivery-confirmed',
    summary: 'Carrier webhook: the delivery was signed for',
    description: 'D10 23B, D3 8 — kept for a day, so both the shipment and (for a shop order) the receipt wait after it receive it, once each.',
    variable: 'delivery',
    body: object(['deliveredOn', 'signedBy'], {
      deliveredOn: date,
      signedBy: text(200),
      damaged: { type: 'boolean', default: false },
      damageDescription: text(2000),
      carrier: text(100),
      trackingNumber: { type: 'string', pattern: '^[A-Za-z0-9-]{4,40}$' },
    }),
    lifetime: 24 * 60 * minute,
    // Two waits need it: the shipment's DELIVERY_CONFIRMED and, for a shop order, RECEIPT_CONFIRMED after it.
    targets: (channel) => ['shipment', ...(channel === 'shop' ? ['shop-order'] : [])],
  },
  {
    path: 'customer-replies',
    clause: 'D6 2',
    message: 'customer-replied',
    summary: 'The customer answered a question about the order',
    description: 'D6 2 — the missing or corrected information; the order is confirmed again.',
    variable: 'customerReply',
    body: object(['text'], { text: text(4000) }),
    lifetime: minute,
    targets: () => ['shop-order'],
  },
]

export function orderEventRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db, relay } = deps
  for (const event of events) {
    app.post(`/orders/:orderNumber/${event.path}`, {
      config: { roles: ['integrator'] },
      schema: {
        tags: ['order events'],
        summary: event.summary,
        description: `${event.description} Correlates the message ${event.message} with the body as variable ${event.variable} when the order waits for it; until then the event is kept (at most ${event.lifetime / minute} minutes, then it is reported as expired in GET /orders/{orderNumber}).`,
        headers: idempotencyHeaders,
        params: orderNumberParams,
        body: event.body,
        response: { 202: eventAccepted, ...problems(400, 401, 403, 404, 409, 413, 415, 422, 503) },
      },
    }, async (request, reply) => {
      const { orderNumber } = request.params as { orderNumber: string }
      const body = request.body as Record<string, unknown>
      const answer = await once(db, request, reply, async (trx, key) => {
        const order = await trx('orders').where({ order_number: orderNumber }).first('order_number', 'channel')
        if (!order) throw notFound('order', orderNumber)
        const messageId = `${event.message}:${orderNumber}:${sha256(`${request.caller!.id}:${key}`).slice(0, 24)}`
        const extra = (await event.before?.(trx, orderNumber, body, messageId)) ?? {}
        const correlationKey = event.correlationKey?.(body) ?? orderNumber
        const value = event.variableValue?.(body, messageId) ?? body
        await trx('order_events').insert({
          order_number: orderNumber,
          step: event.message,
          actor: `api:${request.caller!.id}`,
          outcome: 'accepted',
          clause: event.clause,
          details: JSON.stringify({ messageId, correlationKey, [event.variable]: value, ...extra }),
        })
        const expires = new Date(Date.now() + event.lifetime)
        await createEventOutboxRepository(trx).add(event.targets(order.channel).map((target) => ({
          message_id: messageId, target, order_number: orderNumber, message_name: event.message, business_key: orderNumber,
          correlation_keys: event.correlationKeys?.(body) ?? {}, local_correlation_keys: event.localCorrelationKeys?.(body) ?? {},
          variables: { [event.variable]: value }, expires_at: expires,
        })), trx)
        return { status: 202, body: { orderNumber, message: event.message, messageId, correlationKey, ...extra } }
      })
      // Committed: deliver now when the wait is open (a replay finds its rows delivered already).
      const rows: number[] = await db('event_outbox').where({ message_id: answer.messageId, state: 'pending' }).pluck('id')
      await relay.deliverNow(rows)
      return answer
    })
  }
}
