/**
 * The auditor view's server side (api/auditor/), injected into the API on the real engine and
 * PostgreSQL: engine logins of the auditor group only (401 wrong, 403 staff), the session cookie
 * (HttpOnly, SameSite=Strict, idle timeout, logout), no route that changes anything, the security
 * headers, the order list paged and filtered in SQL, one order's story from the same history as
 * GET /orders/:n/history, its exports, and the breaches by clause and role.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { thisMonth } from '../../../api/auditor/queries.ts'
import { contentSecurityPolicy } from '../../../api/auditor/routes.ts'
import { COOKIE, createSessions } from '../../../api/auditor/session.ts'
import { createApiEngine } from '../../../api/engine.ts'
import { demoContractOrder } from '../../../lib/seed.ts'
import { cancelInstance, startInstance, uniqueOrderNumber } from '../../helpers.ts'
import { config, ensureEngineUsers, keys, openApi } from '../support.ts'

let api: Awaited<ReturnType<typeof openApi>>
const token = `aud${Date.now().toString(36)}`
const orderNumbers = [0, 1, 2].map((i) => `CO-2026-9${String(Date.now()).slice(-5)}${i}`)
let storyOrder = ''
let storyInstance = ''

test.before(async () => {
  api = await openApi()
  const { db } = api
  // Three orders of one customer token; the second has a customer name with markup, the third missed a deadline.
  await db('orders').insert(orderNumbers.map((order_number, i) => ({
    order_number, channel: i === 2 ? 'shop' : 'contract', priority: i === 1 ? 'urgent' : 'normal', status: 'received',
    customer_name: i === 1 ? `<script>alert(1)</script> ${token}` : `Customer ${token} ${i}`, data: {},
    created_at: new Date(Date.UTC(2026, 0, 10 + i, 2)),
  })))
  await db('service_level_deadlines').insert({
    sla_id: 'regularReview', clause: 'D10 1D, 2D', order_number: orderNumbers[2], process_instance_key: `pi-${token}`, element_id: 'WORKSHOP_REVIEW',
    element_instance_key: `ai-${token}`, limit: 'PT4H', urgent: false, started_at: new Date('2025-03-03T01:00:00Z'), due_at: new Date('2025-03-03T05:00:00Z'),
    follow_up_at: new Date('2025-03-03T04:00:00Z'), escalate_to: 'production-manager', breached_at: new Date('2025-03-03T06:30:00Z'),
  })
  storyOrder = uniqueOrderNumber('CO')
  storyInstance = await startInstance('contract-order', storyOrder, { order: { orderNumber: storyOrder, ...demoContractOrder() } })
  await db('orders').insert({ order_number: storyOrder, channel: 'contract', priority: 'normal', status: 'received', customer_name: 'Story customer', data: {}, process_instance_key: storyInstance })
})

test.after(async () => {
  await cancelInstance(storyInstance).catch(() => undefined)
  await api.db('service_level_deadlines').where({ process_instance_key: `pi-${token}` }).delete()
  await api.db('orders').whereIn('order_number', [...orderNumbers, storyOrder]).delete()
  await api.close()
})

const logIn = (username: string, password: string) =>
  api.app.inject({ method: 'POST', url: '/auditor/api/session', payload: { username, password } })

/** The session cookie of a login answer, as the browser sends it back. */
function cookieOf(answer: { headers: Record<string, unknown> }): string {
  const set = String(answer.headers['set-cookie'])
  return set.split(';')[0]
}

const get = (url: string, cookie?: string) => api.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} })

/** Full path and sorted methods of every route in fastify's printed route tree. */
function everyRoute(tree: string): [string, string[]][] {
  const parents: string[] = []
  const found: [string, string[]][] = []
  for (const line of tree.split('\n')) {
    const match = /^(.*?)(?:└──|├──) (\S*)(?: \(([^)]+)\))?$/.exec(line)
    if (!match) continue
    const depth = Math.floor(match[1].length / 4)
    parents.length = depth
    const url = (depth ? parents[depth - 1] : '') + match[2]
    parents[depth] = url
    if (match[3]) found.push([url.replace(/\/\/+/g, '/'), match[3].split(', ').sort()])
  }
  return found
}

let auditor = ''
const asAuditor = async () => (auditor ||= cookieOf(await logIn('auditor', config.STAFF_PASSWORD)))

test('the auditor logs in with the engine user; the session cookie is HttpOnly, SameSite=Strict, scoped to /auditor', async () => {
  const answer = await logIn('auditor', config.STAFF_PASSWORD)
  assert.is(answer.statusCode, 200, answer.body)
  assert.equal(answer.json().user, 'auditor')
  assert.ok(answer.json().groups.includes('auditor'))
  const set = String(answer.headers['set-cookie'])
  assert.match(set, new RegExp(`^${COOKIE}=[A-Za-z0-9_-]{43};`))
  for (const attribute of ['HttpOnly', 'SameSite=Strict', 'Path=/auditor', `Max-Age=${config.AUDITOR_IDLE_MINUTES * 60}`]) assert.ok(set.includes(attribute), `${attribute} in ${set}`)
  const me = await get('/auditor/api/session', cookieOf(answer))
  assert.is(me.statusCode, 200)
  assert.is(me.json().user, 'auditor')
})

test('a wrong password gets 401, a staff user who is not an auditor 403, and neither a session; the administrator is admitted', async () => {
  const wrong = await logIn(`nobody-${token}`, 'not-the-password')
  assert.is(wrong.statusCode, 401)
  assert.is(wrong.json().code, 'login-failed')
  assert.is(wrong.headers['set-cookie'], undefined)
  const staff = await logIn('warehouse', config.STAFF_PASSWORD)
  assert.is(staff.statusCode, 403, staff.body)
  assert.is(staff.json().code, 'forbidden')
  assert.is(staff.headers['set-cookie'], undefined)
  const admin = await logIn(config.ENGINE_ADMIN_USER, config.ENGINE_ADMIN_PASSWORD)
  assert.is(admin.statusCode, 200, 'the engine administrator is admitted too')
  const unknownField = await api.app.inject({ method: 'POST', url: '/auditor/api/session', payload: { username: 'auditor', password: 'x', apiKey: keys.auditor } })
  assert.is(unknownField.statusCode, 400)
})

test('without a session, or with an API key instead, every read is refused 401', async () => {
  for (const url of ['/auditor/api/session', '/auditor/api/orders', `/auditor/api/orders/${storyOrder}`, `/auditor/api/orders/${storyOrder}/history?format=csv`, '/auditor/api/deadlines?from=2026-01-01&to=2026-01-31']) {
    assert.is((await get(url)).statusCode, 401, url)
    assert.is((await api.app.inject({ method: 'GET', url, headers: { 'x-api-key': keys.auditor } })).statusCode, 401, `${url} with a key`)
    assert.is((await get(url, `${COOKIE}=forged-session-id`)).statusCode, 401, `${url} with a forged cookie`)
  }
})

test('logout ends the session and clears the cookie', async () => {
  const cookie = cookieOf(await logIn('auditor', config.STAFF_PASSWORD))
  const out = await api.app.inject({ method: 'DELETE', url: '/auditor/api/session', headers: { cookie } })
  assert.is(out.statusCode, 204)
  assert.match(String(out.headers['set-cookie']), /Max-Age=0/)
  assert.is((await get('/auditor/api/orders', cookie)).statusCode, 401)
})

test('a session ends after AUDITOR_IDLE_MINUTES without a request, and each request restarts the idle time', async () => {
  await ensureEngineUsers()
  let clock = Date.parse('2026-12-04T09:00:00Z')
  const sessions = createSessions(createApiEngine(config).rest, { idleMinutes: 30, adminUser: config.ENGINE_ADMIN_USER, now: () => clock })
  const headers: Record<string, string> = {}
  const reply = { header: (name: string, value: string) => (headers[name] = value) } as never
  await sessions.logIn(reply, 'auditor', config.STAFF_PASSWORD)
  const request = { headers: { cookie: headers['set-cookie'].split(';')[0] } } as never
  clock += 29 * 60_000
  assert.is(sessions.require(request, reply).user, 'auditor')
  clock += 29 * 60_000
  assert.is(sessions.require(request, reply).user, 'auditor', 'the request 29 min before restarted the idle time')
  clock += 31 * 60_000
  assert.throws(() => sessions.require(request, reply), /timed out/)
  assert.is(sessions.size, 0)
})

test('no route of the auditor view changes anything: only GET, besides logging in and out', async () => {
  const routes = everyRoute(api.app.printRoutes({ commonPrefix: false })).filter(([url]) => url.startsWith('/auditor'))
  assert.ok(routes.length >= 8, JSON.stringify(routes))
  for (const [url, methods] of routes) {
    if (url === '/auditor/api/session') assert.equal(methods, ['DELETE', 'GET', 'HEAD', 'POST'], url)
    else assert.equal(methods, ['GET', 'HEAD'], url)
  }
  const cookie = await asAuditor()
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
    const answer = await api.app.inject({ method, url: `/auditor/api/orders/${storyOrder}`, headers: { cookie }, payload: {} })
    assert.is(answer.statusCode, 405, `${method} is not allowed`)
    assert.match(String(answer.headers['content-type']), /^application\/problem\+json/)
    assert.is(answer.headers.allow, 'GET, HEAD')
  }
})

test('the page and every answer carry the CSP (no inline script, no framing) and the page has no inline script', async () => {
  const page = await get('/auditor/')
  assert.is(page.statusCode, 200)
  assert.match(String(page.headers['content-type']), /^text\/html/)
  assert.is(page.headers['content-security-policy'], contentSecurityPolicy)
  assert.match(contentSecurityPolicy, /script-src 'self'(;|$)/)
  assert.match(contentSecurityPolicy, /frame-ancestors 'none'/)
  assert.is(page.headers['x-frame-options'], 'DENY')
  assert.is(page.headers['x-content-type-options'], 'nosniff')
  const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)]
  assert.ok(scripts.length >= 2)
  for (const [, attributes, body] of scripts) {
    assert.match(attributes, /src="\/auditor\/assets\//)
    assert.is(body.trim(), '')
  }
  assert.not.match(page.body, /\son[a-z]+=/i, 'no inline handler')
  for (const asset of ['app.js', 'i18n.js', 'dom.js', 'style.css', 'bpmn-viewer.js', 'diagram-js.css', 'bpmn-js.css']) {
    const answer = await get(`/auditor/assets/${asset}`)
    assert.is(answer.statusCode, 200, asset)
    assert.is(answer.headers['content-security-policy'], contentSecurityPolicy)
  }
  assert.is((await get('/auditor/assets/..%2F..%2Fserver.ts')).statusCode, 404)
  const refused = await get('/auditor/api/orders')
  assert.is(refused.headers['content-security-policy'], contentSecurityPolicy)
  assert.is(refused.headers['cache-control'], 'no-store')
  const appJs = (await get('/auditor/assets/app.js')).body + (await get('/auditor/assets/dom.js')).body
  assert.not.match(appJs, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, 'the page never parses server values as HTML')
})

test('the order list is paged and filtered on the server: number, customer, dates, channel, priority, missed deadline', async () => {
  const cookie = await asAuditor()
  const list = async (query: string) => {
    const answer = await get(`/auditor/api/orders?${query}`, cookie)
    assert.is(answer.statusCode, 200, answer.body)
    return answer.json() as { total: number; page: number; orders: { orderNumber: string; customerName: string; breaches: number; steps: number; openIncidents: number; finishedAt: string | null }[]; statuses: string[] }
  }
  const mine = await list(`customer=${token}`)
  assert.is(mine.total, 3)
  assert.equal(mine.orders.map((o) => o.orderNumber), [...orderNumbers].reverse(), 'newest first')
  assert.ok(mine.statuses.includes('received'))
  const paged = await list(`customer=${token}&pageSize=2&page=2`)
  assert.equal([paged.total, paged.page, paged.orders.map((o) => o.orderNumber)], [3, 2, [orderNumbers[0]]])
  assert.equal((await list(`customer=${token}&missed=true`)).orders.map((o) => [o.orderNumber, o.breaches]), [[orderNumbers[2], 1]])
  assert.equal((await list(`customer=${token}&channel=shop`)).orders.map((o) => o.orderNumber), [orderNumbers[2]])
  assert.equal((await list(`customer=${token}&priority=urgent`)).orders[0].customerName, `<script>alert(1)</script> ${token}`)
  assert.equal((await list(`customer=${token}&from=2026-01-11&to=2026-01-11`)).orders.map((o) => o.orderNumber), [orderNumbers[1]])
  assert.equal((await list(`number=${orderNumbers[0]}`)).orders.map((o) => o.orderNumber), [orderNumbers[0]])
  assert.is((await list(`customer=${encodeURIComponent(`%' or 1=1 --`)}`)).total, 0, 'the filter is a bound value')
  const story = (await list(`number=${storyOrder}`)).orders[0]
  assert.equal([story.finishedAt, story.openIncidents], [null, 0])
  for (const bad of ['page=0', 'pageSize=101', 'channel=fax', 'from=yesterday', 'sort=customer']) {
    const answer = await get(`/auditor/api/orders?${bad}`, cookie)
    assert.is(answer.statusCode, 400, bad)
    assert.is(answer.json().code, 'invalid-request')
  }
})

test("one order's story: its instances to draw and the same timeline as GET /orders/:n/history; the exports match the API's", async () => {
  const cookie = await asAuditor()
  const answer = await get(`/auditor/api/orders/${storyOrder}`, cookie)
  assert.is(answer.statusCode, 200, answer.body)
  const story = answer.json()
  assert.is(story.order.customerName, 'Story customer')
  assert.equal(story.instances.map((i: { key: string; bpmnProcessId: string }) => [i.key, i.bpmnProcessId]), [[storyInstance, 'contract-order']])
  const api = (await api_history(storyOrder)).json()
  assert.equal(story.history.items, api.items)
  assert.ok(story.history.items.some((i: { elementId: string; state: string }) => i.elementId === 'VALIDATE_ORDER' && i.state === 'ACTIVE'))

  const xml = await get(`/auditor/api/definitions/${encodeURIComponent(story.instances[0].processDefinitionKey)}/xml`, cookie)
  assert.is(xml.statusCode, 200)
  assert.match(String(xml.headers['content-type']), /^application\/xml/)
  assert.match(xml.body, /id="VALIDATE_ORDER"/)
  assert.is((await get('/auditor/api/definitions/no-such-definition:1:1/xml', cookie)).statusCode, 404)

  const csv = await get(`/auditor/api/orders/${storyOrder}/history?format=csv`, cookie)
  assert.is(csv.statusCode, 200)
  assert.match(String(csv.headers['content-disposition']), new RegExp(`attachment; filename="${storyOrder}-history.csv"`))
  assert.is(csv.body, (await api_history(storyOrder, 'csv')).body)
  const json = await get(`/auditor/api/orders/${storyOrder}/history?format=json`, cookie)
  assert.match(String(json.headers['content-disposition']), /\.json"/)
  assert.equal(json.json().items, api.items)
  assert.is((await get('/auditor/api/orders/CO-2026-0000000', cookie)).statusCode, 404)
})

const api_history = (orderNumber: string, format = 'json') =>
  api.app.inject({ method: 'GET', url: `/orders/${orderNumber}/history?format=${format}`, headers: { 'x-api-key': keys.auditor } })

test('the deadlines page groups the breaches of a period by clause and the role whose step it guards', async () => {
  const cookie = await asAuditor()
  const answer = await get('/auditor/api/deadlines?from=2025-03-01&to=2025-03-31', cookie)
  assert.is(answer.statusCode, 200, answer.body)
  const group = answer.json().groups.find((g: { orders: string[] }) => g.orders.includes(orderNumbers[2]))
  assert.equal(
    [group.clause, group.role, group.slaId, group.escalateTo, group.worstLateMinutes],
    ['D10 1D, 2D', 'workshop-supervisor', 'regularReview', 'production-manager', 90],
  )
  assert.ok(group.count >= 1)
  const before = await get('/auditor/api/deadlines?from=2025-02-01&to=2025-02-28', cookie)
  assert.not.ok(before.json().groups.some((g: { orders: string[] }) => g.orders.includes(orderNumbers[2])))
  assert.is((await get('/auditor/api/deadlines?from=March', cookie)).statusCode, 400)
  const month = (await get('/auditor/api/deadlines', cookie)).json()
  assert.equal([month.from, month.to], [thisMonth().from, thisMonth().to], 'without a period: this month so far')
  assert.match(month.from, /^\d{4}-\d{2}-01$/)
})

test.run()
