/** POST /orders (contract and shop orders) and GET /orders/:orderNumber. */
import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import { sha256 } from '../auth.ts'
import { idempotencyHeaders, once } from '../idempotency.ts'
import { money } from '../../lib/money.ts'
import { createEventOutboxRepository } from '../../lib/repositories/event-outbox.ts'
import { flowNodes, incidents, instanceTree, openTasks, recordedInstanceKeys } from '../order-state.ts'
import { ApiProblem, notFound, problems } from '../problems.ts'
import { orderAccepted, orderBody, orderNumberParams, orderView } from '../schemas.ts'
import type { ApiDeps } from '../server.ts'

interface Line {
  sku?: string
  productName: string
  model?: string
  quantity: number
  unitPrice?: number
}

interface OrderBody {
  channel: 'contract' | 'shop'
  priority?: 'normal' | 'urgent'
  customer: { customerNumber?: string; name: string; contactPerson?: string; phone?: string; email?: string; address?: string }
  lines: Line[]
  deliveryAddress?: string
  payment?: { amount: number; paidAt: string }
  [field: string]: unknown
}

const startEvent = { contract: 'ORDER_RECEIVED', shop: 'ORDER_PLACED' } as const
const processId = { contract: 'contract-order', shop: 'shop-order' } as const

/** The next order number from order_number_seq: CO-2026-000123 or SO-2026-000124. */
async function nextOrderNumber(trx: Knex, channel: 'contract' | 'shop'): Promise<string> {
  const result = await trx.raw(`select nextval('order_number_seq') as n`)
  const n = Number(result.rows[0].n)
  return `${channel === 'contract' ? 'CO' : 'SO'}-${new Date().getUTCFullYear()}-${String(n).padStart(6, '0')}`
}

/** The customer's number: the one given, the one of a customer of that name, or a new stable one. */
async function customerNumber(trx: Knex, body: OrderBody): Promise<string> {
  if (body.customer.customerNumber) return body.customer.customerNumber
  const known = await trx('customers').where({ name: body.customer.name }).orderBy('customer_number').first('customer_number')
  return known?.customer_number ?? `CU-${sha256(`${body.channel}:${body.customer.name}`).slice(0, 10).toUpperCase()}`
}

export function orderRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db, engine, config, processDocs } = deps

  app.post('/orders', {
    config: { roles: ['integrator'] },
    schema: {
      tags: ['orders'],
      summary: 'Place a contract or shop order',
      description: 'Validates the order, stores customer, order, lines and the order-received history row in one transaction, starts contract-order or shop-order, and answers the order number.',
      headers: idempotencyHeaders,
      body: orderBody,
      response: { 201: orderAccepted, ...problems(400, 401, 403, 413, 415, 422, 503) },
    },
  }, async (request, reply) => {
    const body = request.body as OrderBody
    const answer = await once(db, request, reply, async (trx, _key, onRollback) => {
      const skus = [...new Set(body.lines.map((l) => l.sku).filter((s): s is string => Boolean(s)))]
      if (skus.length) {
        const known: string[] = await trx('products').whereIn('sku', skus).pluck('sku')
        const unknown = skus.filter((s) => !known.includes(s))
        if (unknown.length) throw new ApiProblem(422, 'unknown-sku', 'Unknown product', `No product ${unknown.join(', ')} in the catalogue.`)
      }
      const orderNumber = await nextOrderNumber(trx, body.channel)
      const { channel: _channel, customer: { customerNumber: _number, ...customer }, ...rest } = body
      const order = { orderNumber, ...(body.channel === 'shop' ? { channel: 'shop' } : {}), customer, ...rest }
      const number = await customerNumber(trx, body)
      await trx('customers')
        .insert({ customer_number: number, name: customer.name, channel: body.channel, contact_person: customer.contactPerson, phone: customer.phone, email: customer.email, address: customer.address ?? body.deliveryAddress })
        .onConflict('customer_number')
        .ignore()
      await trx('orders').insert({
        order_number: orderNumber,
        channel: body.channel,
        customer_name: customer.name,
        priority: body.priority ?? 'normal',
        status: 'received',
        data: JSON.stringify({ ...order, customerNumber: number }),
      })
      // A paid shop order's payment is on record like any other (returns and refunds are computed from payments).
      if (body.channel === 'shop' && body.payment) {
        await trx('payments').insert({
          order_number: orderNumber, kind: 'full', amount: money(body.payment.amount), currency: 'CNY', received_at: body.payment.paidAt, message_id: `order-placed:${orderNumber}`,
        })
      }
      // A contract line without a model is completed by the sales assistant (D1 第4条 3); order-validate writes the lines then.
      if (body.lines.every((l) => l.model)) {
        await trx('order_lines').insert(body.lines.map((l, i) => ({
          order_number: orderNumber, line_no: i + 1, sku: l.sku ?? null, product_name: l.productName, model: l.model, quantity: l.quantity,
          unit_price: l.unitPrice ?? null,
        })))
      }
      const variables = body.channel === 'contract'
        ? { order }
        : { order, orderPaid: Boolean(body.payment), customerReplyDays: config.SHOP_CUSTOMER_REPLY_DAYS, autoConfirmDays: config.SHOP_AUTO_CONFIRM_DAYS }
      const started = await engine.startProcess({ processKey: processId[body.channel], businessKey: orderNumber, orderNumber, variables }).catch((error: Error) => {
        throw new ApiProblem(503, 'engine-unavailable', 'The engine did not start the order', `Starting ${processId[body.channel]} failed: ${error.message}`)
      })
      onRollback(() => engine.cancelProcess(started.processInstanceKey))
      await trx('orders').where({ order_number: orderNumber }).update({ process_instance_key: started.processInstanceKey })
      const doc = (await processDocs(started.processDefinitionKey).catch(() => undefined))?.get(startEvent[body.channel])
      await trx('order_events').insert({
        order_number: orderNumber,
        process_instance_key: started.processInstanceKey,
        element_id: startEvent[body.channel],
        step: 'order-received',
        actor: `api:${request.caller!.id}`,
        outcome: 'received',
        clause: doc?.clause ?? null,
        details: JSON.stringify({ idempotencyKey: request.headers['idempotency-key'], processDefinitionKey: started.processDefinitionKey }),
      })
      return { status: 201, body: { orderNumber, channel: body.channel, processInstanceKey: started.processInstanceKey, status: 'received' } }
    })
    reply.header('location', `/orders/${answer.orderNumber}`)
    return answer
  })

  app.get('/orders/:orderNumber', {
    config: { roles: ['integrator', 'auditor'] },
    schema: {
      tags: ['orders'],
      summary: 'Where an order stands',
      description: 'Status in the order database; the events accepted for it that have not reached their wait (pending, or expired: never delivered); from the engine: process state, current steps, open user tasks with their due dates, incidents.',
      params: orderNumberParams,
      response: { 200: orderView, ...problems(400, 401, 403, 404) },
    },
  }, async (request) => {
    const { orderNumber } = request.params as { orderNumber: string }
    const order = await db('orders').where({ order_number: orderNumber }).first()
    if (!order) throw notFound('order', orderNumber)
    const view = {
      orderNumber,
      channel: order.channel,
      customerName: order.customer_name,
      priority: order.priority,
      status: order.status,
      classification: order.classification,
      reviewOutcome: order.review_outcome,
      processInstanceKey: order.process_instance_key,
      processState: null as string | null,
      engineAvailable: true,
      createdAt: new Date(order.created_at).toISOString(),
      updatedAt: new Date(order.updated_at).toISOString(),
      currentSteps: [] as unknown[],
      openUserTasks: [] as unknown[],
      incidents: [] as unknown[],
      events: (await createEventOutboxRepository(db).listForOrder(orderNumber))
        .filter((e) => e.state !== 'correlated')
        .map((e) => ({
          messageId: e.message_id, message: e.message_name, target: e.target, state: e.state,
          acceptedAt: new Date(e.accepted_at).toISOString(), expiresAt: new Date(e.expires_at).toISOString(),
          attempts: e.attempts, lastError: e.last_error,
        })),
    }
    try {
      const instances = await instanceTree(engine, orderNumber, await recordedInstanceKeys(db, orderNumber, order.process_instance_key))
      view.processState = instances.find((i) => i.key === order.process_instance_key)?.state ?? null
      const names = new Map<string, string | null>()
      for (const instance of instances) {
        const docs = await processDocs(instance.processDefinitionKey).catch(() => new Map())
        for (const node of await flowNodes(engine, instance.key)) {
          const name = docs.get(node.flowNodeId)?.name ?? node.flowNodeName
          names.set(`${instance.key}:${node.flowNodeId}`, name)
          if (node.state !== 'ACTIVE') continue
          view.currentSteps.push({
            processInstanceKey: instance.key, bpmnProcessId: instance.bpmnProcessId, elementId: node.flowNodeId,
            elementName: name, elementType: node.type, since: node.startDate,
          })
        }
        for (const incident of await incidents(engine, instance.key)) {
          if (incident.state !== 'ACTIVE') continue
          view.incidents.push({
            incidentKey: incident.incidentKey, processInstanceKey: instance.key, elementId: incident.flowNodeId,
            errorType: incident.errorType, errorMessage: incident.errorMessage, createdAt: incident.creationTime, state: incident.state,
          })
        }
      }
      for (const task of await openTasks(engine, instances.filter((i) => i.state === 'ACTIVE' || i.state === 'SUSPENDED').map((i) => i.key))) {
        view.openUserTasks.push({
          userTaskKey: task.id, processInstanceKey: task.processInstanceId, elementId: task.taskDefinitionKey,
          elementName: names.get(`${task.processInstanceId}:${task.taskDefinitionKey}`) ?? task.name,
          candidateGroups: task.candidateGroups, assignee: task.assignee, dueDate: task.due, createdAt: task.created ?? new Date(0).toISOString(),
        })
      }
    } catch (error) {
      request.log.warn({ err: error }, 'engine not reachable for the order view')
      Object.assign(view, { engineAvailable: false, processState: null, currentSteps: [], openUserTasks: [], incidents: [] })
    }
    return view
  })
}
