/** POST /returns (return-refund) and POST /service-requests (after-sales-case, form QR/JY-2005). */
import type { FastifyInstance } from 'fastify'
import { idempotencyHeaders, once } from '../idempotency.ts'
import { ApiProblem, notFound, problems } from '../problems.ts'
import { toCents, yuan } from '../../lib/money.ts'
import { returnable } from '../../lib/order-status.ts'
import { createRefundRepository } from '../../lib/repositories/refunds.ts'
import { orderNumberPattern } from '../../lib/schemas.ts'
import { amount, dateTime, sku, text } from '../schemas.ts'
import type { ApiDeps } from '../server.ts'

const returnBody = {
  type: 'object',
  description: 'D3 退货 1 — order, items and reason; D9 1.2 — within the return window, tags and packaging intact.',
  required: ['orderNumber', 'items', 'reason', 'tagsAndPackagingIntact'],
  additionalProperties: false,
  properties: {
    orderNumber: { type: 'string', pattern: orderNumberPattern },
    items: {
      type: 'array', minItems: 1, maxItems: 100,
      items: {
        type: 'object', required: ['sku', 'productName', 'quantity', 'unitPrice'], additionalProperties: false,
        properties: { sku, productName: text(200), quantity: { type: 'integer', minimum: 1, maximum: 10000 }, unitPrice: amount },
      },
    },
    reason: text(2000, 'Reason in the customer\'s words.'),
    reasonKind: { enum: ['customer-own-reason', 'defective', 'wrong-item', 'damaged-by-customer'], description: 'Reason class the refund-decision table reads.' },
    tagsAndPackagingIntact: { type: 'boolean' },
    amountPaid: { ...amount, description: 'What the customer paid, as the integrator knows it: it may only narrow the amount paid on record (the order\'s payments minus its refunds), never raise it.' },
  },
} as const

const returnAccepted = {
  type: 'object',
  required: ['returnNumber', 'orderNumber', 'processInstanceKey'],
  additionalProperties: false,
  properties: { returnNumber: { type: 'string' }, orderNumber: { type: 'string' }, processInstanceKey: { type: 'string' } },
} as const

/** Form QR/JY-2005 (用户服务、质量信息反馈接受单), as the after-sales-case record form names its fields. */
const serviceRequestBody = {
  type: 'object',
  description: 'D2 四.1(1) — a service request or complaint, recorded on form QR/JY-2005 and forwarded to after-sales within 60 minutes.',
  required: ['kind', 'receivedAt', 'customer', 'contact', 'product', 'model', 'problemDescription', 'requestedService'],
  additionalProperties: false,
  properties: {
    kind: { enum: ['service-request', 'complaint'] },
    receivedAt: dateTime,
    orderNumber: { type: 'string', pattern: orderNumberPattern },
    customer: text(200),
    contact: {
      type: 'object', required: ['name', 'phone'], additionalProperties: false,
      properties: { name: text(100), phone: { type: 'string', pattern: '^[0-9+() -]{5,30}$' }, email: { type: 'string', format: 'email', maxLength: 200 } },
    },
    product: text(200),
    model: text(100),
    quantity: { type: 'integer', minimum: 1, maximum: 1000000 },
    problemDescription: text(4000),
    requestedService: { enum: ['answer', 'repair', 'replacement', 'installation', 'transport-damage', 'other'] },
    onsiteServiceInContract: { type: 'boolean' },
    receivedBy: text(100),
    attachments: text(2000),
  },
} as const

const caseAccepted = {
  type: 'object',
  required: ['caseNumber', 'processInstanceKey'],
  additionalProperties: false,
  properties: { caseNumber: { type: 'string' }, orderNumber: { type: ['string', 'null'] }, processInstanceKey: { type: 'string' } },
} as const

function engineProblem(process: string) {
  return (error: Error): never => {
    throw new ApiProblem(503, 'engine-unavailable', 'The engine did not start the case', `Starting ${process} failed: ${error.message}`)
  }
}

export function caseRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db, engine } = deps

  app.post('/returns', {
    config: { roles: ['integrator'] },
    schema: {
      tags: ['returns and service'],
      summary: 'Request a return',
      description: 'Stores the return and starts return-refund (review, pickup, inspection, refund decision, refund exactly once). Only for an order delivered to the customer (status delivered, invoiced, completed, returned or partially-refunded), else 409 order-not-delivered. The amount paid the refund is computed from is the order\'s payments minus what was refunded already (amountPaid may only narrow it).',
      headers: idempotencyHeaders,
      body: returnBody,
      response: { 201: returnAccepted, ...problems(400, 401, 403, 404, 409, 413, 415, 422, 503) },
    },
  }, async (request, reply) => {
    const body = request.body as { orderNumber: string; items: unknown[]; reason: string; reasonKind?: string; tagsAndPackagingIntact: boolean; amountPaid?: number }
    return once(db, request, reply, async (trx, _key, onRollback) => {
      const order = await trx('orders').where({ order_number: body.orderNumber }).first('order_number', 'status')
      if (!order) throw notFound('order', body.orderNumber)
      if (!returnable.includes(order.status)) {
        throw new ApiProblem(409, 'order-not-delivered', 'The order was not delivered',
          `Order ${body.orderNumber} is ${order.status}: a return is accepted only once the goods reached the customer (${returnable.join(', ')}).`)
      }
      const { refundable } = await createRefundRepository(trx).refundableCents(body.orderNumber, '', trx)
      const amountPaid = yuan(body.amountPaid === undefined ? refundable : Math.min(toCents(body.amountPaid), refundable))
      const [row] = await trx('returns')
        .insert({ order_number: body.orderNumber, reason: body.reason, reason_kind: body.reasonKind ?? null, items: JSON.stringify(body.items) })
        .returning(['return_number', 'requested_at'])
      const returnRequest = { returnNumber: row.return_number, ...body, amountPaid, receivedAt: new Date(row.requested_at).toISOString() }
      const started = await engine.startProcess({
        processKey: 'return-refund', businessKey: body.orderNumber, orderNumber: body.orderNumber, variables: { returnRequest, returnNumber: row.return_number },
      }).catch(engineProblem('return-refund'))
      onRollback(() => engine.cancelProcess(started.processInstanceKey))
      await trx('order_events').insert({
        order_number: body.orderNumber, process_instance_key: started.processInstanceKey, element_id: 'RETURN_REQUESTED',
        step: 'return-requested', actor: `api:${request.caller!.id}`, outcome: 'requested', clause: 'D3 退货 1',
        details: JSON.stringify({ returnNumber: row.return_number }),
      })
      return { status: 201, body: { returnNumber: row.return_number, orderNumber: body.orderNumber, processInstanceKey: started.processInstanceKey } }
    })
  })

  app.post('/service-requests', {
    config: { roles: ['integrator'] },
    schema: {
      tags: ['returns and service'],
      summary: 'Report a service request or complaint (form QR/JY-2005)',
      description: 'Stores the case and starts after-sales-case; the record task shows the form prefilled.',
      headers: idempotencyHeaders,
      body: serviceRequestBody,
      response: { 201: caseAccepted, ...problems(400, 401, 403, 404, 413, 415, 422, 503) },
    },
  }, async (request, reply) => {
    const { kind, ...serviceRequest } = request.body as { kind: 'service-request' | 'complaint'; orderNumber?: string; customer: string; problemDescription: string }
    return once(db, request, reply, async (trx, _key, onRollback) => {
      const orderNumber = serviceRequest.orderNumber ?? null
      if (orderNumber && !(await trx('orders').where({ order_number: orderNumber }).first('order_number'))) throw notFound('order', orderNumber)
      const [row] = await trx('after_sales_cases')
        .insert({ order_number: orderNumber, kind, description: serviceRequest.problemDescription, service_request: JSON.stringify(serviceRequest) })
        .returning('case_number')
      const serviceCase = { caseNumber: row.case_number, orderNumber, kind, description: serviceRequest.problemDescription, customer: { name: serviceRequest.customer } }
      const started = await engine.startProcess({
        processKey: 'after-sales-case', businessKey: orderNumber ?? row.case_number, orderNumber, variables: { serviceCase, serviceRequest },
      }).catch(engineProblem('after-sales-case'))
      onRollback(() => engine.cancelProcess(started.processInstanceKey))
      if (orderNumber) {
        await trx('order_events').insert({
          order_number: orderNumber, process_instance_key: started.processInstanceKey, element_id: 'CASE_OPENED',
          step: 'service-requested', actor: `api:${request.caller!.id}`, outcome: 'recorded', clause: 'D2 四.1(1)',
          details: JSON.stringify({ caseNumber: row.case_number, kind }),
        })
      }
      return { status: 201, body: { caseNumber: row.case_number, orderNumber, processInstanceKey: started.processInstanceKey } }
    })
  })
}
