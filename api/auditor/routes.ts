/**
 * The auditor's read-only view in the browser, served by the API under /auditor/: a page of plain
 * ES modules (no build step) that finds orders, tells one order's story — every process instance
 * drawn with bpmn-js (read-only), its timeline from the same `orderStory` the history endpoint
 * answers from — exports its history as JSON or CSV, and lists the service-level breaches of a
 * period. Logins are engine users of the `auditor` group (see session.ts); apart from logging in
 * and out, every route is a GET and changes nothing. Every answer carries a strict CSP (no inline
 * script, no framing) and the page renders every value as text.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { orderStory } from '../history.ts'
import { ApiProblem, notFound, problems } from '../problems.ts'
import { history, orderNumberParams } from '../schemas.ts'
import { sendHistory } from '../routes/history.ts'
import type { ApiDeps } from '../server.ts'
import { breachesByClause, findOrders, orderStatuses, thisMonth, type OrderFilter } from './queries.ts'
import { createSessions } from './session.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const bpmnJs = path.dirname(createRequire(import.meta.url).resolve('bpmn-js/package.json'))

/** The files the page loads: name under /auditor/assets/ → file and type. Nothing else is served. */
const assets: Record<string, { file: string; type: string }> = {
  'app.js': { file: path.join(here, 'public', 'app.js'), type: 'text/javascript; charset=utf-8' },
  'i18n.js': { file: path.join(here, 'public', 'i18n.js'), type: 'text/javascript; charset=utf-8' },
  'dom.js': { file: path.join(here, 'public', 'dom.js'), type: 'text/javascript; charset=utf-8' },
  'style.css': { file: path.join(here, 'public', 'style.css'), type: 'text/css; charset=utf-8' },
  'bpmn-viewer.js': { file: path.join(bpmnJs, 'dist', 'bpmn-navigated-viewer.production.min.js'), type: 'text/javascript; charset=utf-8' },
  'diagram-js.css': { file: path.join(bpmnJs, 'dist', 'assets', 'diagram-js.css'), type: 'text/css; charset=utf-8' },
  'bpmn-js.css': { file: path.join(bpmnJs, 'dist', 'assets', 'bpmn-js.css'), type: 'text/css; charset=utf-8' },
}

/** No inline script, nothing from elsewhere, no framing. bpmn-js sets style attributes on the SVG it draws. */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

const day = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'A day, YYYY-MM-DD (business time zone).' } as const

const orderListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    number: { type: 'string', maxLength: 64, description: 'Part of the order number.' },
    customer: { type: 'string', maxLength: 200, description: 'Part of the customer name.' },
    from: day,
    to: day,
    status: { type: 'string', maxLength: 64 },
    channel: { enum: ['contract', 'shop'] },
    priority: { enum: ['normal', 'urgent'] },
    missed: { enum: ['true', 'false'], description: 'true: only orders that missed a deadline.' },
    page: { type: 'string', pattern: '^[1-9][0-9]{0,5}$' },
    pageSize: { type: 'string', pattern: '^([1-9]|[1-9][0-9]|100)$' },
  },
} as const

const orderRow = {
  type: 'object',
  additionalProperties: false,
  required: ['orderNumber', 'channel', 'customerName', 'priority', 'status', 'createdAt', 'finishedAt', 'steps', 'breaches', 'openIncidents'],
  properties: {
    orderNumber: { type: 'string' },
    channel: { type: 'string' },
    customerName: { type: ['string', 'null'] },
    priority: { type: 'string' },
    status: { type: 'string' },
    createdAt: { type: 'string' },
    finishedAt: { type: ['string', 'null'], description: "When the order's own instance ended; null while it runs." },
    steps: { type: 'integer', description: 'Steps and events recorded in order_events.' },
    breaches: { type: 'integer', description: 'Service levels missed.' },
    openIncidents: { type: 'integer', description: 'Open incidents in the instances the order started.' },
  },
} as const

const instance = {
  type: 'object',
  additionalProperties: false,
  required: ['key', 'bpmnProcessId', 'processDefinitionKey', 'parentKey', 'state', 'startDate', 'endDate'],
  properties: {
    key: { type: 'string' },
    bpmnProcessId: { type: 'string' },
    processDefinitionKey: { type: 'string' },
    parentKey: { type: ['string', 'null'] },
    state: { type: 'string' },
    startDate: { type: ['string', 'null'] },
    endDate: { type: ['string', 'null'] },
  },
} as const

const sessionAnswer = {
  type: 'object',
  additionalProperties: false,
  required: ['user', 'groups', 'idleMinutes'],
  properties: { user: { type: 'string' }, groups: { type: 'array', items: { type: 'string' } }, idleMinutes: { type: 'integer' } },
} as const

interface RootIncident {
  processInstanceId: string
  rootProcessInstanceId: string | null
}

/** Registers the auditor view (pages, assets and its read-only JSON under /auditor/api/). */
export async function auditorRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const sessions = createSessions(deps.engine.rest, { idleMinutes: deps.config.AUDITOR_IDLE_MINUTES, adminUser: deps.config.ENGINE_ADMIN_USER })
  const page = readFileSync(path.join(here, 'public', 'index.html'), 'utf8')
  const files = new Map(Object.entries(assets).map(([name, { file, type }]) => [name, { body: readFileSync(file), type }]))

  await app.register(async (view) => {
    view.addHook('onSend', async (request, reply) => {
      reply.header('content-security-policy', contentSecurityPolicy)
      reply.header('x-frame-options', 'DENY')
      reply.header('x-content-type-options', 'nosniff')
      reply.header('referrer-policy', 'no-referrer')
      reply.header('cross-origin-opener-policy', 'same-origin')
      if (!request.url.startsWith('/auditor/assets/')) reply.header('cache-control', 'no-store')
    })
    const hidden = { hide: true }
    const sendPage = (_request: unknown, reply: FastifyReply) => reply.type('text/html; charset=utf-8').send(page)
    view.get('/', { schema: hidden }, sendPage)
    view.get('/assets/:name', { schema: { ...hidden, params: { type: 'object', additionalProperties: false, properties: { name: { type: 'string' } } } } }, async (request, reply) => {
      const asset = files.get((request.params as { name: string }).name)
      if (!asset) throw new ApiProblem(404, 'route-not-found', 'No such file', 'The auditor view has no such file.')
      reply.header('cache-control', 'private, max-age=300')
      return reply.type(asset.type).send(asset.body)
    })

    view.post('/api/session', {
      schema: {
        tags: ['auditor view'],
        summary: 'Log in to the auditor view with an engine user of the auditor group',
        body: {
          type: 'object', additionalProperties: false, required: ['username', 'password'],
          properties: { username: { type: 'string', minLength: 1, maxLength: 128 }, password: { type: 'string', minLength: 1, maxLength: 512 } },
        },
        response: { 200: sessionAnswer, ...problems(400, 401, 403, 503) },
      },
    }, async (request, reply) => {
      const { username, password } = request.body as { username: string; password: string }
      const session = await sessions.logIn(reply, username, password).catch((error: unknown) => {
        if (error instanceof ApiProblem) throw error
        throw new ApiProblem(503, 'engine-unavailable', 'The engine cannot check the login', (error as Error).message)
      })
      return { user: session.user, groups: session.groups, idleMinutes: deps.config.AUDITOR_IDLE_MINUTES }
    })
    view.get('/api/session', {
      schema: { tags: ['auditor view'], summary: 'Who is logged in', response: { 200: sessionAnswer, ...problems(401) } },
    }, async (request, reply) => {
      const session = sessions.require(request, reply)
      return { user: session.user, groups: session.groups, idleMinutes: deps.config.AUDITOR_IDLE_MINUTES }
    })
    view.delete('/api/session', {
      schema: { tags: ['auditor view'], summary: 'Log out', response: { 204: { type: 'null', description: 'Logged out.' } } },
    }, async (request, reply) => {
      sessions.logOut(request, reply)
      return reply.code(204).send()
    })

    view.get('/api/orders', {
      schema: {
        tags: ['auditor view'],
        summary: 'Find orders (paged on the server, newest first)',
        querystring: orderListQuery,
        response: {
          200: {
            type: 'object', additionalProperties: false, required: ['total', 'page', 'pageSize', 'orders', 'statuses'],
            properties: {
              total: { type: 'integer' }, page: { type: 'integer' }, pageSize: { type: 'integer' },
              orders: { type: 'array', items: orderRow }, statuses: { type: 'array', items: { type: 'string' } },
            },
          },
          ...problems(400, 401),
        },
      },
    }, async (request, reply) => {
      sessions.require(request, reply)
      const query = request.query as Record<string, string | undefined>
      const filter: OrderFilter = {
        ...query,
        channel: query.channel as OrderFilter['channel'],
        priority: query.priority as OrderFilter['priority'],
        missed: query.missed === 'true',
        page: Number(query.page ?? 1),
        pageSize: Number(query.pageSize ?? 25),
      }
      const [{ total, orders }, statuses] = await Promise.all([findOrders(deps.db, filter), orderStatuses(deps.db)])
      const ended = new Map<string, string | null>()
      const incidentsOf = new Map<string, number>()
      const keys = orders.map((o) => o.processInstanceKey).filter((k): k is string => Boolean(k))
      if (keys.length) {
        // One read each for the page: the roots' end, and the open incidents under any instance the orders started.
        const [roots, open] = await Promise.all([
          deps.engine.rest.post<{ id: string; endTime: string | null }[]>('/history/process-instance?maxResults=500', { processInstanceIds: keys }),
          deps.engine.rest.get<RootIncident[]>('/history/incident?open=true&maxResults=5000'),
        ]).catch(() => [[], []] as [{ id: string; endTime: string | null }[], RootIncident[]])
        for (const root of roots) ended.set(root.id, root.endTime ? new Date(root.endTime).toISOString() : null)
        for (const incident of open) {
          const root = incident.rootProcessInstanceId ?? incident.processInstanceId
          incidentsOf.set(root, (incidentsOf.get(root) ?? 0) + 1)
        }
      }
      return {
        total,
        page: filter.page,
        pageSize: filter.pageSize,
        statuses,
        orders: orders.map(({ processInstanceKey, ...o }) => ({
          ...o,
          finishedAt: processInstanceKey ? (ended.get(processInstanceKey) ?? null) : null,
          openIncidents: processInstanceKey ? (incidentsOf.get(processInstanceKey) ?? 0) : 0,
        })),
      }
    })

    view.get('/api/orders/:orderNumber', {
      schema: {
        tags: ['auditor view'],
        summary: "One order's story: the order, its process instances and its history",
        params: orderNumberParams,
        response: {
          200: {
            type: 'object', additionalProperties: false, required: ['order', 'instances', 'history'],
            properties: {
              order: {
                type: 'object', additionalProperties: false, required: ['orderNumber', 'channel', 'customerName', 'priority', 'status', 'createdAt'],
                properties: {
                  orderNumber: { type: 'string' }, channel: { type: 'string' }, customerName: { type: ['string', 'null'] },
                  priority: { type: 'string' }, status: { type: 'string' }, createdAt: { type: 'string' },
                },
              },
              instances: { type: 'array', items: instance },
              history,
            },
          },
          ...problems(400, 401, 404, 503),
        },
      },
    }, async (request, reply) => {
      sessions.require(request, reply)
      const { orderNumber } = request.params as { orderNumber: string }
      const order = await deps.db('orders').where({ order_number: orderNumber }).first()
      if (!order) throw notFound('order', orderNumber)
      const story = await orderStory(deps, order).catch((error: Error) => {
        throw new ApiProblem(503, 'engine-unavailable', 'The engine history is not reachable', error.message)
      })
      return {
        order: {
          orderNumber: order.order_number, channel: order.channel, customerName: order.customer_name ?? null,
          priority: order.priority, status: order.status, createdAt: new Date(order.created_at).toISOString(),
        },
        instances: story.instances,
        history: story.history,
      }
    })

    view.get('/api/orders/:orderNumber/history', {
      schema: {
        tags: ['auditor view'],
        summary: "The order's history as a download (the same document as GET /orders/{orderNumber}/history)",
        params: orderNumberParams,
        querystring: { type: 'object', additionalProperties: false, properties: { format: { enum: ['json', 'csv'] } } },
        response: {
          200: { description: 'JSON or CSV', content: { 'application/json': { schema: history }, 'text/csv': { schema: { type: 'string' } } } },
          ...problems(400, 401, 404, 503),
        },
      },
    }, async (request, reply) => {
      sessions.require(request, reply)
      const { orderNumber } = request.params as { orderNumber: string }
      const format = (request.query as { format?: 'json' | 'csv' }).format ?? 'json'
      if (format === 'json') reply.header('content-disposition', `attachment; filename="${orderNumber}-history.json"`)
      return sendHistory(deps, reply, orderNumber, format)
    })

    view.get('/api/definitions/:id/xml', {
      schema: {
        tags: ['auditor view'],
        summary: 'The BPMN XML of a deployed process definition (to draw it)',
        params: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,255}$' } } },
        response: { 200: { description: 'BPMN 2.0 XML', content: { 'application/xml': { schema: { type: 'string' } } } }, ...problems(400, 401, 404, 503) },
      },
    }, async (request, reply) => {
      sessions.require(request, reply)
      const { id } = request.params as { id: string }
      const xml = await deps.engine.processXml(id).catch((error: { status?: number; message: string }) => {
        if (error.status === 404) throw notFound('process-definition', id)
        throw new ApiProblem(503, 'engine-unavailable', 'The engine cannot be read', error.message)
      })
      reply.header('content-type', 'application/xml; charset=utf-8')
      reply.serializer((payload: unknown) => payload as string)
      return xml
    })

    view.get('/api/deadlines', {
      schema: {
        tags: ['auditor view'],
        summary: 'Service-level breaches of a period, by clause and role',
        description: 'Without from and to: the current month up to today, in the business time zone.',
        querystring: { type: 'object', additionalProperties: false, properties: { from: day, to: day } },
        response: {
          200: {
            type: 'object', additionalProperties: false, required: ['from', 'to', 'groups'],
            properties: {
              from: { type: 'string' }, to: { type: 'string' },
              groups: {
                type: 'array',
                items: {
                  type: 'object', additionalProperties: false,
                  required: ['clause', 'role', 'slaId', 'what', 'escalateTo', 'count', 'worstLateMinutes', 'orders'],
                  properties: {
                    clause: { type: 'string' }, role: { type: 'string' }, slaId: { type: 'string' }, what: { type: ['string', 'null'] },
                    escalateTo: { type: 'string' }, count: { type: 'integer' }, worstLateMinutes: { type: 'integer' },
                    orders: { type: 'array', items: { type: 'string' } },
                  },
                },
              },
            },
          },
          ...problems(400, 401),
        },
      },
    }, async (request, reply) => {
      sessions.require(request, reply)
      const query = request.query as { from?: string; to?: string }
      const period = { from: query.from ?? thisMonth().from, to: query.to ?? thisMonth().to }
      return { ...period, groups: await breachesByClause(deps.db, period) }
    })
  }, { prefix: '/auditor' })
}
