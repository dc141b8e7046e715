/**
 * The HTTP API for integrators and auditors: `buildApi` assembles fastify with key auth,
 * problem+json errors, the OpenAPI document (/docs/json) and Swagger UI (/docs), and every
 * route; `startApi` listens on API_HOST:API_PORT.
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import type { Config } from '../lib/config.ts'
import { parseApiKeys, registerAuth } from './auth.ts'
import { createEventRelay, type EventRelay } from '../lib/event-relay.ts'
import type { ApiEngine } from './engine.ts'
import { createProcessDocs, type ProcessDocs } from './process-docs.ts'
import { databaseUnreachable } from '../lib/db.ts'
import { addAmountKeyword } from '../lib/money.ts'
import { ApiProblem, problemSchema, type FieldError } from './problems.ts'
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
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return new ApiProblem(error.statusCode, 'bad-request', 'The request cannot be handled', error.message)
  }
  if (databaseUnreachable(error)) {
    return new ApiProblem(503, 'database-unavailable', 'The database cannot be reached', 'The request changed nothing. Retry with the same Idempotency-Key in a few seconds.')
  }
  return new ApiProblem(500, 'internal-error', 'Internal error', 'The API failed; the request changed nothing. Retry with the same Idempotency-Key.')
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
    return reply.code(problem.status).type('application/problem+json').send(problem.body(request.url.split('?')[0]))
  })
  app.setNotFoundHandler((request, reply) => {
    const problem = new ApiProblem(404, 'route-not-found', 'No such endpoint', `${request.method} ${request.url.split('?')[0]} is not an endpoint of this API; see /docs.`)
    return reply.code(404).type('application/problem+json').send(problem.body(request.url.split('?')[0]))
  })

  orderRoutes(app, full)
  orderEventRoutes(app, full)
  caseRoutes(app, full)
  historyRoutes(app, full)
  systemRoutes(app, full)
  return app
}

/** Builds the API and listens on API_HOST:API_PORT; returns it for `close()`. */
export async function startApi(deps: BuildDeps): Promise<FastifyInstance> {
  const app = await buildApi(deps, { logger: false })
  await app.listen({ host: deps.config.API_HOST, port: deps.config.API_PORT })
  return app
}
