/**
 * The API inject suite, run on PostgreSQL (server.test.ts) and on the embedded PGlite
 * (server.pglite.test.ts): authentication, the bad-input corpus (each refusal a problem+json
 * with its code, no row written, nothing started), idempotent POSTs, and every endpoint's
 * happy path against the real engine.
 */
import type { Knex } from 'knex'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { demoContractOrder } from '../../lib/seed.ts'
import { admin, keys, newKey, openApi } from './support.ts'

type Api = Awaited<ReturnType<typeof openApi>>

/** Tables the API writes: a refused request leaves each count as it was. */
const tables = ['orders', 'customers', 'order_lines', 'order_events', 'payments', 'returns', 'after_sales_cases', 'idempotency_keys', 'event_outbox']

async function counts(db: Knex): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const table of tables) out[table] = Number((await db(table).count({ n: '*' }))[0].n)
  return out
}

const contractOrder = (name = 'Guangzhou Telecom Works') => ({
  channel: 'contract',
  ...demoContractOrder(),
  customer: { name, phone: '020-12345678' },
})

const shopOrder = () => ({
  channel: 'shop',
  customer: { name: 'Zhang Wei', phone: '+86 138 0000 0004' },
  lines: [{ sku: 'PP-24C6', productName: 'Patch panel 配线面板 24-port Cat6', quantity: 1, unitPrice: 260 }],
  deliveryAddress: 'Yuexiu District, Guangzhou',
  payment: { amount: 260, paidAt: '2026-11-24T09:00:00+08:00' },
})

interface Case {
  name: string
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS'
  url: string
  key?: string | null
  payload?: string | object
  headers?: Record<string, string>
  status: number
  code: string
  /** A JSON pointer the problem's errors must name. */
  path?: string
  /** The Allow header a 405 must send. */
  allow?: string
}

/** Defines and runs the suite on the database `open` gives (migrated and seeded). */
export function runApiSuite(name: string, open: () => Promise<{ db: Knex; close: () => Promise<void> }>) {
  const test = suite(name)
  let api: Api
  let database: Awaited<ReturnType<typeof open>>
  let order: { orderNumber: string; processInstanceKey: string }

  test.before(async () => {
    database = await open()
    api = await openApi({ db: database.db, relay: 'manual' })
  })
  test.after(async () => {
    await api?.close()
    await database?.close()
  })

  const post = (url: string, payload: unknown, idempotencyKey = newKey(), key: string = keys.integrator) =>
    api.app.inject({ method: 'POST', url, payload: payload as object, headers: { 'x-api-key': key, 'idempotency-key': idempotencyKey } })

  test('a contract order is stored with its customer, lines and history row, and its process started', async () => {
    const before = await counts(api.db)
    const response = await post('/orders', contractOrder())
    assert.is(response.statusCode, 201, response.body)
    const body = response.json()
    assert.match(body.orderNumber, /^CO-\d{4}-\d{6}$/)
    assert.is(response.headers.location, `/orders/${body.orderNumber}`)
    assert.equal(api.calls.started.map((s) => [s.processKey, s.businessKey, s.orderNumber]), [['contract-order', body.orderNumber, body.orderNumber]])
    assert.is(body.processInstanceKey, api.calls.started[0].processInstanceKey)
    order = body

    const row = await api.db('orders').where({ order_number: body.orderNumber }).first()
    assert.is(row.channel, 'contract')
    assert.is(row.process_instance_key, body.processInstanceKey)
    assert.is(row.data.lines[0].model, 'PP-24-C6-1U')
    const lines = await api.db('order_lines').where({ order_number: body.orderNumber })
    assert.equal(lines.map((l) => [l.line_no, l.sku, l.quantity]), [[1, 'PP-24C6', 2]])
    const [event] = await api.db('order_events').where({ order_number: body.orderNumber })
    assert.is(event.step, 'order-received')
    assert.is(event.actor, 'api:integrator:bb161c2a4293')
    assert.is(event.clause, 'D1 第4条 1; D7 1')
    const after = await counts(api.db)
    assert.is(after.orders - before.orders, 1)
    assert.is(after.idempotency_keys - before.idempotency_keys, 1)
  })

  test('GET /orders/:orderNumber answers the stored status and the engine view', async () => {
    const response = await api.app.inject({ method: 'GET', url: `/orders/${order.orderNumber}`, headers: { 'x-api-key': keys.auditor } })
    assert.is(response.statusCode, 200, response.body)
    const view = response.json()
    assert.is(view.orderNumber, order.orderNumber)
    assert.is(view.processInstanceKey, order.processInstanceKey)
    assert.is(view.engineAvailable, true)
    for (const list of ['currentSteps', 'openUserTasks', 'incidents']) assert.ok(Array.isArray(view[list]), list)
  })

  test('the history of an order, as JSON and as CSV, for the auditor', async () => {
    const json = await api.app.inject({ url: `/orders/${order.orderNumber}/history`, headers: { 'x-api-key': keys.auditor } })
    assert.is(json.statusCode, 200, json.body)
    const received = json.json().items.find((i: { details: { step?: string } }) => i.details.step === 'order-received')
    assert.equal([received.source, received.actor, received.clause], ['order_events', 'api:integrator:bb161c2a4293', 'D1 第4条 1; D7 1'])
    const csv = await api.app.inject({ url: `/orders/${order.orderNumber}/history?format=csv`, headers: { 'x-api-key': keys.admin } })
    assert.is(csv.statusCode, 200)
    assert.match(String(csv.headers['content-type']), /^text\/csv/)
    assert.ok(csv.body.startsWith('at,kind,source,processInstanceKey,'))
    assert.ok(csv.body.includes(',order_events,'), 'the order-received row')
  })

  test('the same POST replayed with its Idempotency-Key answers the first response and starts exactly one instance', async () => {
    const key = newKey()
    const before = await counts(api.db)
    const started = api.calls.started.length
    const first = await post('/orders', shopOrder(), key)
    assert.is(first.statusCode, 201, first.body)
    const replay = await post('/orders', shopOrder(), key)
    assert.is(replay.statusCode, 201)
    assert.is(replay.headers['idempotent-replayed'], 'true')
    assert.equal(replay.json(), first.json())
    // Three at once with one new key: one runs, the others wait for it and replay.
    const concurrentKey = newKey()
    const together = await Promise.all([1, 2, 3].map(() => post('/orders', shopOrder(), concurrentKey)))
    assert.equal(together.map((r) => r.statusCode), [201, 201, 201])
    assert.is(new Set(together.map((r) => r.json().orderNumber)).size, 1)
    assert.is(api.calls.started.length - started, 2, 'one instance per key')
    const after = await counts(api.db)
    assert.is(after.orders - before.orders, 2)
    assert.is(after.order_events - before.order_events, 2)
  })

  const problemCases = (): Case[] => [
    { name: 'no API key', url: '/orders', key: null, payload: contractOrder(), status: 401, code: 'unauthenticated' },
    { name: 'an unknown API key', url: '/orders', key: 'not-a-key', payload: contractOrder(), status: 401, code: 'unauthenticated' },
    { name: 'the auditor key placing an order', url: '/orders', key: keys.auditor, payload: contractOrder(), status: 403, code: 'forbidden' },
    { name: 'the auditor key posting a payment', url: '/orders/CO-2026-000001/payments', key: keys.auditor, payload: { amount: 1 }, status: 403, code: 'forbidden' },
    { name: 'the integrator key reading a history', method: 'GET', url: '/orders/CO-2026-000001/history', status: 403, code: 'forbidden' },
    { name: 'malformed JSON', url: '/orders', payload: '{"channel": "contract", "customer": {', status: 400, code: 'malformed-json' },
    { name: 'a JSON array instead of an order', url: '/orders', payload: '[1, 2]', status: 400, code: 'invalid-request' },
    { name: 'a text body', url: '/orders', payload: 'channel=contract', headers: { 'content-type': 'text/plain' }, status: 415, code: 'unsupported-media-type' },
    { name: 'a quantity as text', url: '/orders', payload: { ...contractOrder(), lines: [{ productName: 'Patch panel', model: 'X', quantity: 'two' }] }, status: 400, code: 'invalid-request', path: '/body/lines/0/quantity' },
    { name: 'a negative quantity', url: '/orders', payload: { ...contractOrder(), lines: [{ productName: 'Patch panel', model: 'X', quantity: -3 }] }, status: 400, code: 'invalid-request', path: '/body/lines/0/quantity' },
    { name: 'a date that is no date', url: '/orders', payload: { ...contractOrder(), deliveryDate: '2027-02-30x' }, status: 400, code: 'invalid-request', path: '/body/deliveryDate' },
    { name: 'an unknown field', url: '/orders', payload: { ...contractOrder(), discount: 50 }, status: 400, code: 'invalid-request', path: '/body/discount' },
    { name: 'an unknown field in a line', url: '/orders', payload: { ...contractOrder(), lines: [{ productName: 'P', model: 'X', quantity: 1, price: 1 }] }, status: 400, code: 'invalid-request', path: '/body/lines/0/price' },
    { name: 'a missing customer', url: '/orders', payload: { ...contractOrder(), customer: undefined }, status: 400, code: 'invalid-request', path: '/body/customer' },
    { name: 'no lines', url: '/orders', payload: { ...contractOrder(), lines: [] }, status: 400, code: 'invalid-request', path: '/body/lines' },
    { name: 'an unknown channel', url: '/orders', payload: { ...contractOrder(), channel: 'fax' }, status: 400, code: 'invalid-request', path: '/body/channel' },
    { name: 'a shop order without prices', url: '/orders', payload: { ...shopOrder(), lines: [{ sku: 'PP-24C6', productName: 'P', quantity: 1 }] }, status: 400, code: 'invalid-request', path: '/body/lines/0/unitPrice' },
    { name: 'no Idempotency-Key', url: '/orders', payload: contractOrder(), headers: { 'idempotency-key': '' }, status: 400, code: 'invalid-request', path: '/headers/idempotency-key' },
    { name: 'an oversized body', url: '/orders', payload: JSON.stringify({ ...contractOrder(), customer: { name: 'x'.repeat(70000) } }), status: 413, code: 'body-too-large' },
    { name: 'an unknown product', url: '/orders', payload: { ...contractOrder(), lines: [{ sku: 'NO-SUCH-SKU', productName: 'P', model: 'X', quantity: 1 }] }, status: 422, code: 'unknown-sku' },
    { name: 'SQL in a product code', url: '/orders', payload: { ...contractOrder(), lines: [{ sku: "PP-24C6'; DROP TABLE orders;--", productName: 'P', model: 'X', quantity: 1 }] }, status: 400, code: 'invalid-request', path: '/body/lines/0/sku' },
    { name: 'SQL in an order number', method: 'GET', key: keys.auditor, url: "/orders/CO-2026-000001'%20OR%20'1'='1", status: 400, code: 'invalid-request', path: '/params/orderNumber' },
    { name: 'a path traversal in an order number', method: 'GET', key: keys.auditor, url: '/orders/..%2F..%2Fetc%2Fpasswd', status: 400, code: 'invalid-request', path: '/params/orderNumber' },
    { name: 'an unknown order', method: 'GET', key: keys.auditor, url: '/orders/CO-2026-99999999', status: 404, code: 'order-not-found' },
    { name: 'the history of an unknown order', method: 'GET', key: keys.auditor, url: '/orders/CO-2026-99999999/history', status: 404, code: 'order-not-found' },
    { name: 'a payment into an unknown order', url: '/orders/CO-2026-99999999/payments', payload: { amount: 100 }, status: 404, code: 'order-not-found' },
    { name: 'a payment of zero', url: '/orders/CO-2026-99999999/payments', payload: { amount: 0 }, status: 400, code: 'invalid-request', path: '/body/amount' },
    { name: 'a payment in fractions of a fen', url: '/orders/CO-2026-99999999/payments', payload: { amount: 10.001 }, status: 400, code: 'invalid-request', path: '/body/amount' },
    { name: 'a unit price in fractions of a fen', url: '/orders', payload: { ...shopOrder(), lines: [{ sku: 'PP-24C6', productName: 'P', quantity: 1, unitPrice: 19.999 }] }, status: 400, code: 'invalid-request', path: '/body/lines/0/unitPrice' },
    { name: 'a return paid in fractions of a fen', url: '/returns', payload: { orderNumber: order.orderNumber, items: [{ sku: 'PP-24C6', productName: 'P', quantity: 1, unitPrice: 1 }], reason: 'r', tagsAndPackagingIntact: true, amountPaid: 0.125 }, status: 400, code: 'invalid-request', path: '/body/amountPaid' },
    { name: 'a return of an order not delivered yet', url: '/returns', payload: { orderNumber: order.orderNumber, items: [{ sku: 'PP-24C6', productName: 'P', quantity: 1, unitPrice: 260 }], reason: 'r', tagsAndPackagingIntact: true }, status: 409, code: 'order-not-delivered' },
    { name: 'a delivery without signature', url: '/orders/CO-2026-99999999/delivery-confirmations', payload: { deliveredOn: '2026-11-24' }, status: 400, code: 'invalid-request', path: '/body/signedBy' },
    { name: 'a return of an unknown order', url: '/returns', payload: { orderNumber: 'SO-2026-99999999', items: [{ sku: 'PP-24C6', productName: 'P', quantity: 1, unitPrice: 1 }], reason: 'r', tagsAndPackagingIntact: true }, status: 404, code: 'order-not-found' },
    { name: 'a service request without the problem', url: '/service-requests', payload: { kind: 'complaint', receivedAt: '2026-11-24T09:00:00Z', customer: 'C', contact: { name: 'N', phone: '020-1234567' }, product: 'P', model: 'M', requestedService: 'repair' }, status: 400, code: 'invalid-request', path: '/body/problemDescription' },
    { name: 'an unknown endpoint', method: 'GET', url: '/nothing-here', status: 404, code: 'route-not-found' },
    { name: 'GET on an endpoint that only takes POST', method: 'GET', url: '/orders', status: 405, code: 'method-not-allowed', allow: 'POST' },
    { name: 'DELETE of an order', method: 'DELETE', key: keys.admin, url: '/orders/CO-2026-000001', status: 405, code: 'method-not-allowed', allow: 'GET, HEAD' },
    { name: 'PUT of a payment', method: 'PUT', url: '/orders/CO-2026-000001/payments', payload: { amount: 1 }, status: 405, code: 'method-not-allowed', allow: 'POST' },
    { name: 'OPTIONS (no CORS here)', method: 'OPTIONS', url: '/returns', status: 405, code: 'method-not-allowed', allow: 'POST' },
    { name: 'an order number over 100 characters', method: 'GET', key: keys.auditor, url: `/orders/CO-${'9'.repeat(120)}`, status: 414, code: 'uri-too-long' },
    { name: 'an over-long order number in an event', url: `/orders/CO-${'9'.repeat(120)}/payments`, payload: { amount: 1 }, status: 414, code: 'uri-too-long' },
    { name: 'a broken percent-encoding in the path', method: 'GET', key: keys.auditor, url: '/orders/CO-2026-%E0%A4%A', status: 400, code: 'bad-url' },
    { name: 'a percent sign that encodes nothing', url: '/orders/%zz/changes', payload: { description: 'x' }, status: 400, code: 'bad-url' },
    { name: 'an XML body', url: '/returns', payload: '<return/>', headers: { 'content-type': 'application/xml' }, status: 415, code: 'unsupported-media-type' },
    { name: 'a form-encoded body', url: '/orders/CO-2026-000001/payments', payload: 'amount=1', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'unsupported-media-type' },
    { name: 'an oversized event', url: '/orders/CO-2026-000001/customer-replies', payload: JSON.stringify({ text: 'x'.repeat(70000) }), status: 413, code: 'body-too-large' },
    { name: 'an empty JSON body', url: '/service-requests', payload: '', headers: { 'content-type': 'application/json' }, status: 400, code: 'malformed-json' },
    { name: 'malformed JSON in an event', url: '/orders/CO-2026-000001/contract-signed', payload: '{"signedOn": 2026-11-25}', status: 400, code: 'malformed-json' },
  ]

  test('the bad-input corpus: each request gets its 4xx problem+json, and nothing is written or started', async () => {
    for (const c of problemCases()) {
      const before = await counts(api.db)
      const started = api.calls.started.length
      const outboxBefore = Number((await api.db('event_outbox').count({ n: '*' }))[0].n)
      const headers: Record<string, string> = { 'idempotency-key': newKey(), ...(c.key === null ? {} : { 'x-api-key': c.key ?? keys.integrator }), ...c.headers }
      if (headers['idempotency-key'] === '') delete headers['idempotency-key']
      if (typeof c.payload === 'string' && !headers['content-type']) headers['content-type'] = 'application/json'
      const response = await api.app.inject({ method: c.method ?? 'POST', url: c.url, headers, payload: c.payload as string })
      assert.is(response.statusCode, c.status, `${c.name}: ${response.body.slice(0, 300)}`)
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/, c.name)
      const problem = response.json()
      assert.is(problem.code, c.code, `${c.name}: ${response.body.slice(0, 300)}`)
      assert.is(problem.status, c.status, c.name)
      assert.ok(problem.title, c.name)
      if (c.path) {
        assert.ok(problem.errors?.some((e: { path: string }) => e.path === c.path), `${c.name} names ${c.path}: ${JSON.stringify(problem.errors)}`)
        assert.ok(problem.detail.includes(c.path), `${c.name}: detail names the field`)
      }
      if (c.status === 401) assert.ok(response.headers['www-authenticate'], c.name)
      if (c.allow) assert.is(response.headers.allow, c.allow, c.name)
      assert.equal(await counts(api.db), before, `${c.name}: no row written`)
      assert.is(api.calls.started.length, started, `${c.name}: no instance started`)
      assert.is(Number((await api.db('event_outbox').count({ n: '*' }))[0].n), outboxBefore, `${c.name}: no event kept`)
    }
  })

  test('the same Idempotency-Key with another body is refused and changes nothing', async () => {
    const key = newKey()
    assert.is((await post('/orders', contractOrder('First Customer Ltd'), key)).statusCode, 201)
    const before = await counts(api.db)
    const started = api.calls.started.length
    const reused = await post('/orders', contractOrder('Second Customer Ltd'), key)
    assert.is(reused.statusCode, 422)
    assert.is(reused.json().code, 'idempotency-key-reused')
    assert.equal(await counts(api.db), before)
    assert.is(api.calls.started.length, started)
  })

  test('text that looks like SQL or markup is stored as written and harms nothing', async () => {
    const name = `Robert'); DROP TABLE orders;-- <script>alert(1)</script>`
    const response = await post('/orders', contractOrder(name))
    assert.is(response.statusCode, 201, response.body)
    const row = await api.db('orders').where({ order_number: response.json().orderNumber }).first()
    assert.is(row.customer_name, name)
    assert.ok((await api.db('orders').count({ n: '*' }))[0].n, 'orders is still there')
  })

  test('a payment is recorded and kept for the order once, however often it is retried', async () => {
    const key = newKey()
    const first = await post(`/orders/${order.orderNumber}/payments`, { amount: 520, kind: 'full', reference: 'BANK-0001' }, key)
    assert.is(first.statusCode, 202, first.body)
    const again = await post(`/orders/${order.orderNumber}/payments`, { amount: 520, kind: 'full', reference: 'BANK-0001' }, key)
    assert.equal(again.json(), first.json())
    const body = first.json()
    assert.is(body.message, 'payment-received')
    assert.is(body.correlationKey, order.orderNumber)
    const payments = await api.db('payments').where({ order_number: order.orderNumber })
    assert.equal(payments.map((p) => [Number(p.amount), p.message_id, Number(p.id)]), [[520, body.messageId, body.paymentId]])
    const kept = await api.db('event_outbox').where({ message_id: body.messageId })
    assert.equal(kept.map((e) => [e.target, e.message_name, e.business_key]), [['contract-order', 'payment-received', order.orderNumber]])
    assert.equal(kept[0].variables, { payment: { amount: 520, kind: 'full', reference: 'BANK-0001', currency: 'CNY' } })
    assert.ok(['pending', 'correlated'].includes(kept[0].state))
  })

  test('amounts of at most two decimals are taken exactly (19.99, 0.07, 0.29); three decimals are refused saying so', async () => {
    const placed = await post('/orders', { ...shopOrder(), lines: [{ sku: 'PP-24C6', productName: 'Patch panel', quantity: 1, unitPrice: 19.99 }], payment: { amount: 19.99, paidAt: '2026-11-24T09:00:00+08:00' } })
    assert.is(placed.statusCode, 201, placed.body)
    const number = placed.json().orderNumber
    for (const amount of [0.07, 0.29]) {
      const paid = await post(`/orders/${number}/payments`, { amount })
      assert.is(paid.statusCode, 202, paid.body)
    }
    const payments = await api.db('payments').where({ order_number: number }).orderBy('id')
    assert.equal(payments.map((p) => p.amount), ['19.99', '0.07', '0.29'])
    const total = await api.db('payments').where({ order_number: number }).first(api.db.raw('sum(amount)::text as total'))
    assert.is(total.total, '20.35')
    const refused = await post(`/orders/${number}/payments`, { amount: 0.125 })
    assert.is(refused.statusCode, 400)
    assert.equal(refused.json().errors, [{ path: '/body/amount', message: 'must be an amount with at most two decimals (e.g. 19.99)' }])
  })

  test('every event endpoint keeps its message with a messageId, one row per wait, and records it', async () => {
    const events: [string, object, string, string[]][] = [
      ['changes', { description: 'different label colour' }, 'order-change-requested', ['contract-order']],
      ['contract-signed', { signedOn: '2026-11-24', signedBy: 'Zhang San', contractNumber: 'HT-2026-001' }, 'contract-signed', ['contract-order']],
      ['delivery-confirmations', { deliveredOn: '2026-11-30', signedBy: 'Zhang San' }, 'delivery-confirmed', ['shipment']],
      ['customer-replies', { text: 'The address is 88 Tianhe Road' }, 'customer-replied', ['shop-order']],
      ['cancellation', { reason: 'project postponed' }, 'order-cancel-requested', ['contract-order']],
    ]
    for (const [path, payload, message, targets] of events) {
      const response = await post(`/orders/${order.orderNumber}/${path}`, payload)
      assert.is(response.statusCode, 202, `${path}: ${response.body}`)
      assert.is(response.json().message, message)
      assert.ok(response.json().messageId.startsWith(`${message}:${order.orderNumber}:`))
      const kept = await api.db('event_outbox').where({ message_id: response.json().messageId }).orderBy('id')
      assert.equal(kept.map((e) => e.target), targets, path)
      const row = await api.db('order_events').where({ order_number: order.orderNumber, step: message, outcome: 'accepted' }).first()
      assert.is(row.details.messageId, response.json().messageId, path)
    }
    const shop = (await post('/orders', shopOrder())).json().orderNumber
    const delivered = await post(`/orders/${shop}/delivery-confirmations`, { deliveredOn: '2026-11-30', signedBy: 'Zhang Wei' })
    assert.equal((await api.db('event_outbox').where({ message_id: delivered.json().messageId }).orderBy('id')).map((e) => e.target), ['shipment', 'shop-order'],
      'a shop order\'s delivery reaches the shipment and the receipt wait')
    const late = await post(`/orders/${order.orderNumber}/goods-received`, { requestNumber: 'PR-NOT-THERE', countedQuantity: 3 })
    assert.is(late.statusCode, 404)
    assert.is(late.json().code, 'purchase-request-not-found')
    const noReturn = await post(`/orders/${order.orderNumber}/returned-goods`, { returnNumber: 'RT-2026-999999' })
    assert.is(noReturn.statusCode, 404)
    assert.is(noReturn.json().code, 'return-not-found')
    const changed = await api.db('event_outbox').where({ order_number: order.orderNumber, message_name: 'order-change-requested' }).first()
    assert.is(changed.variables.changeRequest.requestId, changed.message_id, 'each change request carries its own id')
    const view = (await api.app.inject({ url: `/orders/${order.orderNumber}`, headers: { 'x-api-key': keys.auditor } })).json()
    assert.ok(Array.isArray(view.events), 'the order shows the events not delivered yet')
  })

  test('a cancellation after shipment is refused: return the goods instead', async () => {
    const shipped = (await post('/orders', contractOrder())).json().orderNumber
    await api.db('orders').where({ order_number: shipped }).update({ status: 'shipped' })
    const before = await counts(api.db)
    const response = await post(`/orders/${shipped}/cancellation`, { reason: 'too late' })
    assert.is(response.statusCode, 409)
    assert.is(response.json().code, 'order-already-shipped')
    assert.equal(await counts(api.db), before)
  })

  test('POST /returns stores the return and starts return-refund; POST /service-requests records form QR/JY-2005 and starts after-sales-case', async () => {
    // Delivered (what order-status records at the shipment's end); it paid 520 (the payment test).
    await api.db('orders').where({ order_number: order.orderNumber }).update({ status: 'delivered' })
    const returned = await post('/returns', {
      orderNumber: order.orderNumber,
      items: [{ sku: 'PP-24C6', productName: 'Patch panel 24-port Cat6', quantity: 1, unitPrice: 260 }],
      reason: 'does not fit the rack', reasonKind: 'customer-own-reason', tagsAndPackagingIntact: true,
    })
    assert.is(returned.statusCode, 201, returned.body)
    assert.match(returned.json().returnNumber, /^RT-\d{4}-\d{6}$/)
    assert.is(api.calls.started.at(-1)!.processKey, 'return-refund')
    assert.is((api.calls.started.at(-1)!.variables.returnRequest as { amountPaid: number }).amountPaid, 520, 'the amount paid comes from the payments rows')
    assert.is((await api.db('returns').where({ return_number: returned.json().returnNumber }).first()).order_number, order.orderNumber)
    // The integrator's figure may narrow the amount paid, never raise it.
    for (const [given, taken] of [[100.5, 100.5], [9999, 520]]) {
      const narrowed = await post('/returns', {
        orderNumber: order.orderNumber, items: [{ sku: 'PP-24C6', productName: 'Patch panel', quantity: 1, unitPrice: 260 }], reason: 'r', tagsAndPackagingIntact: true, amountPaid: given,
      })
      assert.is(narrowed.statusCode, 201, narrowed.body)
      assert.is((api.calls.started.at(-1)!.variables.returnRequest as { amountPaid: number }).amountPaid, taken, `amountPaid ${given}`)
    }
    const arrived = await post(`/orders/${order.orderNumber}/returned-goods`, { returnNumber: returned.json().returnNumber, receivedAt: '2026-11-26T10:00:00+08:00' })
    assert.is(arrived.statusCode, 202, arrived.body)
    const kept = await api.db('event_outbox').where({ message_id: arrived.json().messageId }).first()
    assert.equal([kept.target, kept.message_name, kept.correlation_keys], ['return-refund', 'return-received', { returnNumber: returned.json().returnNumber }])

    const request = await post('/service-requests', {
      kind: 'service-request', receivedAt: '2026-11-24T09:00:00+08:00', orderNumber: order.orderNumber, customer: 'Guangzhou Telecom Works',
      contact: { name: 'Chen Jie', phone: '020-12345678' }, product: 'Network cabinet', model: 'NC-42U-6010', quantity: 1,
      problemDescription: 'How do I level the cabinet feet?', requestedService: 'answer', receivedBy: 'Li Na',
    })
    assert.is(request.statusCode, 201, request.body)
    assert.is(api.calls.started.at(-1)!.processKey, 'after-sales-case')
    const stored = await api.db('after_sales_cases').where({ case_number: request.json().caseNumber }).first()
    assert.is(stored.kind, 'service-request')
    assert.is(stored.service_request.model, 'NC-42U-6010')
  })

  test('an instance started for a request whose transaction then fails is cancelled again', async () => {
    // A database failure after the start: a trigger refuses the history row of this one request.
    await api.db.raw(`create function refuse_test_return() returns trigger language plpgsql as $$
      begin if new.step = 'return-requested' and new.order_number = '${order.orderNumber}' then raise exception 'refused for the test'; end if; return new; end $$`)
    await api.db.raw('create trigger refuse_test_return before insert on order_events for each row execute function refuse_test_return()')
    try {
      const before = await counts(api.db)
      const response = await post('/returns', {
        orderNumber: order.orderNumber, items: [{ sku: 'PP-24C6', productName: 'Patch panel', quantity: 1, unitPrice: 260 }], reason: 'r', tagsAndPackagingIntact: true,
      })
      assert.is(response.statusCode, 500)
      assert.is(response.json().code, 'internal-error')
      const started = api.calls.started.at(-1)!
      assert.is(started.processKey, 'return-refund')
      assert.equal(await counts(api.db), before, 'no row written')
      // Cancelled already: the engine no longer knows it as active.
      const left = await admin.get<{ state: string }>(`/history/process-instance/${started.processInstanceKey}`)
      assert.is(left.state, 'EXTERNALLY_TERMINATED')
    } finally {
      await api.db.raw('drop trigger refuse_test_return on order_events')
      await api.db.raw('drop function refuse_test_return()')
    }
  })

  test('health, readiness, the daily report, the OpenAPI document and Swagger UI', async () => {
    assert.equal((await api.app.inject({ url: '/health' })).json(), { status: 'ok' })
    const ready = await api.app.inject({ url: '/ready' })
    assert.is(ready.statusCode, 200, ready.body)
    assert.is(ready.json().database.ok, true)
    const report = await api.app.inject({ url: '/reports/daily?kind=coordination-agenda&date=2026-11-24', headers: { 'x-api-key': keys.auditor } })
    assert.is(report.statusCode, 200, report.body)
    assert.is(report.json().kind, 'coordination-agenda')
    assert.ok(report.json().markdown.length > 0)
    if (await api.db.schema.hasTable('daily_reports')) {
      // A report the daily-report worker filed is served as filed.
      await api.db('daily_reports').insert({
        kind: 'production-daily', report_date: '2026-11-23', title: 'Production daily report 2026-11-23', report: JSON.stringify({ lateOrders: { count: 0, rows: [] } }),
        markdown: '# Production daily report', job_key: `test-${newKey()}`,
      })
      const stored = (await api.app.inject({ url: '/reports/daily?date=2026-11-23', headers: { 'x-api-key': keys.auditor } })).json()
      assert.equal([stored.source, stored.date, stored.markdown], ['stored', '2026-11-23', '# Production daily report'])
    }
    assert.is((await api.app.inject({ url: '/reports/daily', headers: { 'x-api-key': keys.integrator } })).statusCode, 403)
    assert.is((await api.app.inject({ url: '/docs' })).statusCode < 400, true)

    const document = (await api.app.inject({ url: '/docs/json' })).json()
    assert.is(document.openapi, '3.0.3')
    const closed = (schema: Record<string, unknown>, where: string) => {
      if (!schema || typeof schema !== 'object') return
      if (schema.properties && where.split('.').pop() !== 'details') assert.is(schema.additionalProperties, false, `${where} is closed`)
      for (const [key, value] of Object.entries(schema)) if (value && typeof value === 'object') closed(value as Record<string, unknown>, `${where}.${key}`)
    }
    for (const [path, operations] of Object.entries(document.paths as Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>)) {
      if (path.startsWith('/docs')) continue
      for (const [method, operation] of Object.entries(operations)) {
        const statuses = Object.keys(operation.responses)
        assert.ok(statuses.some((s) => s.startsWith('2')), `${method} ${path} documents its answer`)
        if (method === 'post') {
          assert.ok(statuses.includes('400') && statuses.includes('401') && statuses.includes('403'), `${method} ${path} documents its problems`)
          closed(operation.requestBody as Record<string, unknown>, `${method} ${path} body`)
        }
        for (const status of statuses) closed(operation.responses[status] as Record<string, unknown>, `${method} ${path} ${status}`)
      }
    }
  })

  test.run()
}
