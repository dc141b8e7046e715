/**
 * The HTTP API for integrators and auditors: `buildApi` assembles fastify with key auth,
 * problem+json errors, the OpenAPI document (/docs/json) and Swagger UI (/docs), every route, and
 * the auditors' read-only browser view under /auditor/; `startApi` listens on API_HOST:API_PORT.
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify'
import type { Knex } from 'knex'
import type { Config } from '../lib/config.ts'
import { parseApiKeys, registerAuth } from './auth.ts'
import { auditorRoutes } from './auditor/routes.ts'
import { createEventRelay, type EventRelay } from '../lib/event-relay.ts'
import type { ApiEngine } from './engine.ts'
import { createProcessDocs, type ProcessDocs } from './process-docs.ts'
import { databaseUnreachable } from '../lib/db.ts'
import { addAmountKeyword } from '../lib/money.ts'
import { ApiProblem, problemSchema, problems, type FieldError } from './problems.ts'
import { caseRoutes } from './routes/cases.ts'
import { historyRoutes } from './routes/history.ts'
import { orderEventRoutes } from './routes/order-events.ts'
import { orderRoutes } from './routes/orders.ts'
import { systemRoutes } from './routes/system.ts'

/** What the routes work with. */
export interface ApiDeps {
  config: Config
  db: Knex
  engine: ApiEngine
  processDocs: ProcessDocs
  /** Delivers the accepted events (the outbox) to the process waits. */
  relay: EventRelay
}

/** What `buildApi` needs; the docs cache and the outbox relay are made when not given. */
export type BuildDeps = Omit<ApiDeps, 'processDocs' | 'relay'> & Partial<Pick<ApiDeps, 'processDocs' | 'relay'>>

function fieldErrors(error: FastifyError): FieldError[] {
  return (error.validation ?? []).map((v) => {
    const missing = v.keyword === 'required' ? `/${String((v.params as { missingProperty?: string }).missingProperty)}` : ''
    const extra = v.keyword === 'additionalProperties' ? `/${String((v.params as { additionalProperty?: string }).additionalProperty)}` : ''
    const { tag, tagValue } = v.params as { tag?: string; tagValue?: unknown }
    const discriminator = v.keyword === 'discriminator' && tag ? `/${tag}` : ''
    const path = `/${error.validationContext ?? 'body'}${v.instancePath}${missing}${extra}${discriminator}`
    const message =
      v.keyword === 'additionalProperties' ? 'is not a known field'
      : v.keyword === 'required' ? 'is required'
      : discriminator ? `${JSON.stringify(tagValue)} is not one of the known values`
      : (v.message ?? 'is invalid')
    return { path, message }
  })
}

/** Maps every error fastify or a handler raises to a problem with a stable code. */
function toProblem(error: FastifyError): ApiProblem {
  if (error instanceof ApiProblem) return error
  if (error.validation) {
    const errors = fieldErrors(error)
    return new ApiProblem(400, 'invalid-request', 'The request is not valid', errors.map((e) => `${e.path} ${e.message}`).join('; '), errors)
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiProblem(400, 'malformed-json', 'The body is not valid JSON', error.message)
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiProblem(400, 'malformed-json', 'The body is empty', 'Send a JSON object.')
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiProblem(413, 'body-too-large', 'The body is too large', error.message)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiProblem(415, 'unsupported-media-type', 'Send application/json', error.message)
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiProblem(400, 'invalid-content-length', 'Content-Length does not match the body', error.message)
    case 'FST_ERR_BAD_URL':
      return new ApiProblem(400, 'bad-url', 'The URL is not valid', 'A path segment is not valid percent-encoded UTF-8.')
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ApiProblem(414, 'uri-too-long', 'A path parameter is too long', `No path parameter of this API is longer than ${maxParamLength} characters.`)
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return new ApiProblem(error.statusCode, 'bad-request', 'The request cannot be handled', error.message)
  }
  if (databaseUnreachable(error)) {
    return new ApiProblem(503, 'database-unavailable', 'The database cannot be reached', 'The request changed nothing. Retry with the same Idempotency-Key in a few seconds.')
  }
  return new ApiProblem(500, 'internal-error', 'Internal error', 'The API failed; the request changed nothing. Retry with the same Idempotency-Key.')
}


/** The longest path parameter fastify routes (its default); a longer one gets 414 uri-too-long. */
const maxParamLength = 100

function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: ApiProblem) {
  const instance = request.url.split('?')[0]
  return reply.code(problem.status).type('application/problem+json').send(problem.body(instance))
}

/**
 * The problems every route can answer besides its own, added to its response schema so the
 * OpenAPI document lists every status the API can send: 500 anywhere; 503 wherever the database
 * or the engine is used (all but /health); 401 and 403 behind a key; 400 for anything parsed from
 * the request (a bad percent-encoding in the path included) and 414 for an over-long path
 * parameter; 413 and 415 for a body.
 */
function addSharedProblems(route: RouteOptions): void {
  if (route.url.startsWith('/docs') || !route.schema) return
  const statuses = [500]
  if (route.url !== '/health') statuses.push(503)
  if ((route.config as { roles?: unknown } | undefined)?.roles) statuses.push(401, 403)
  if (route.url.includes(':')) statuses.push(400, 414)
  if (route.schema.querystring) statuses.push(400)
  if (route.schema.body) statuses.push(400, 413, 415)
  const response = (route.schema.response ?? {}) as Record<string, unknown>
  route.schema.response = { ...problems(...statuses.filter((status) => !(status in response))), ...response }
}

/** The methods of the routes a path matches: a path that exists answers 405 to another method. */
function routeMethods() {
  const routes: { pattern: RegExp; methods: Set<string> }[] = []
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return {
    add(route: RouteOptions) {
      const source = `^${route.url.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : escape(part))).join('/')}/?$`
      const methods = [route.method].flat()
      const known = routes.find((r) => r.pattern.source === source)
      if (known) for (const method of methods) known.methods.add(method)
      else routes.push({ pattern: new RegExp(source), methods: new Set(methods) })
    },
    allowed(path: string): string[] {
      const methods = new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => [...r.methods]))
      if (methods.has('GET')) methods.add('HEAD')
      return [...methods].sort()
    },
  }
}

export interface BuildOptions {
  /** fastify's logger; off in tests. */
  logger?: boolean
}

/**
 * The API with every route. Unless `deps.relay` is given, an outbox relay is started with it and
 * stopped when the app closes (a given relay is the caller's to start and stop).
 */
export async function buildApi(deps: BuildDeps, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: deps.config.API_BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength },
    // What fastify refuses before routing (a bad percent-encoding, an over-long parameter) leaves
    // as a problem too; by default it would be fastify's own JSON.
    frameworkErrors: (error, request, reply) => sendProblem(request, reply, toProblem(error)),
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: true, discriminator: true },
      plugins: [addAmountKeyword],
    },
  })
  const relay = deps.relay ?? createEventRelay(deps.db, deps.engine, { log: app.log })
  if (!deps.relay) {
    relay.start()
    app.addHook('onClose', async () => relay.stop())
  }
  const full: ApiDeps = { ...deps, processDocs: deps.processDocs ?? createProcessDocs(deps.engine), relay }
  app.addSchema(problemSchema)
  const methods = routeMethods()
  app.addHook('onRoute', (route) => {
    addSharedProblems(route)
    methods.add(route)
  })
  // JSON only: a text body is refused with 415 instead of reaching the schema as a string.
  app.removeContentTypeParser('text/plain')
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'order-flow API',
        version: '1.0.0',
        description: 'Orders, events into running orders, returns and service requests for integrators; per-order history and daily reports for auditors. Every POST needs an Idempotency-Key; errors are application/problem+json with a stable code.',
      },
      components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } } },
      security: [{ apiKey: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  registerAuth(app, parseApiKeys(deps.config.API_KEYS))
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toProblem(error)
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed')
    return sendProblem(request, reply, problem)
  })
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]
    const allowed = methods.allowed(path)
    if (allowed.length) {
      reply.header('allow', allowed.join(', '))
      return sendProblem(request, reply, new ApiProblem(405, 'method-not-allowed', 'Method not allowed', `${path} answers ${allowed.join(', ')}, not ${request.method}.`))
    }
    return sendProblem(request, reply, new ApiProblem(404, 'route-not-found', 'No such endpoint', `${request.method} ${path} is not an endpoint of this API; see /docs.`))
  })

  orderRoutes(app, full)
  orderEventRoutes(app, full)
  caseRoutes(app, full)
  historyRoutes(app, full)
  systemRoutes(app, full)
  await auditorRoutes(app, full)
  return app
}

/** Builds the API and listens on API_HOST:API_PORT; returns it for `close()`. */
export async function startApi(deps: BuildDeps): Promise<FastifyInstance> {
  const app = await buildApi(deps, { logger: false })
  await app.listen({ host: deps.config.API_HOST, port: deps.config.API_PORT })
  return app
}
