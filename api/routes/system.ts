/** Health (liveness), readiness (database and engine) and the daily report. */
import type { FastifyInstance } from 'fastify'
import { createCalendar, loadCalendarDefinition } from '../../lib/calendar.ts'
import { compileReport } from '../../workers/daily-report.ts'
import { problems } from '../problems.ts'
import { date } from '../schemas.ts'
import type { ApiDeps } from '../server.ts'

const check = { type: 'object', required: ['ok'], additionalProperties: false, properties: { ok: { type: 'boolean' }, detail: { type: 'string' } } } as const
const readiness = {
  type: 'object',
  required: ['ready', 'database', 'engine'],
  additionalProperties: false,
  properties: { ready: { type: 'boolean' }, database: check, engine: check },
} as const

export function systemRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/health', {
    schema: {
      tags: ['system'],
      summary: 'Liveness: the API process answers',
      response: { 200: { type: 'object', required: ['status'], additionalProperties: false, properties: { status: { const: 'ok' } } } },
    },
  }, async () => ({ status: 'ok' as const }))

  app.get('/ready', {
    schema: { tags: ['system'], summary: 'Readiness: database and engine reachable (503 when not)', response: { 200: readiness, 503: readiness } },
  }, async (_request, reply) => {
    const database = await deps.db.raw('select 1').then(() => ({ ok: true }), (error: Error) => ({ ok: false, detail: error.message }))
    const engine = (await deps.engine.ready()) ? { ok: true } : { ok: false, detail: 'the engine topology has no broker' }
    const ready = database.ok && engine.ok
    reply.code(ready ? 200 : 503)
    return { ready, database, engine }
  })

  const calendar = createCalendar(loadCalendarDefinition())
  const reportItem = { type: 'object', additionalProperties: true } as const
  app.get('/reports/daily', {
    config: { roles: ['auditor'] },
    schema: {
      tags: ['audit'],
      summary: 'The production daily report or the coordination meeting agenda (D10 15G, 15D)',
      description: 'Compiled from the database as the daily-report worker does; at=date gives the report as of 16:00 that day.',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { kind: { enum: ['production-daily', 'coordination-agenda'], default: 'production-daily' }, date },
      },
      response: {
        200: {
          type: 'object',
          required: ['kind', 'title', 'date', 'markdown'],
          additionalProperties: false,
          properties: {
            kind: { type: 'string' }, title: { type: 'string' }, date: { type: 'string' },
            period: { type: 'object', additionalProperties: false, properties: { from: { type: 'string' }, to: { type: 'string' } } },
            lateOrders: reportItem, openEscalations: reportItem, slaBreaches: reportItem, output: { type: ['object', 'null'], additionalProperties: true }, markdown: { type: 'string' },
          },
        },
        ...problems(400, 401, 403),
      },
    },
  }, async (request) => {
    const { kind, date: day } = request.query as { kind: 'production-daily' | 'coordination-agenda'; date?: string }
    const timeZone = loadCalendarDefinition().timeZone
    const now = day ? new Date(`${day}T16:00:00${offsetOf(timeZone)}`) : new Date()
    return compileReport(deps.db, kind, now, calendar, timeZone)
  })
}

/** The UTC offset of a time zone now, e.g. +08:00. */
function offsetOf(timeZone: string): string {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(new Date()).find((p) => p.type === 'timeZoneName')?.value
  const offset = name?.replace('GMT', '') ?? ''
  return offset === '' ? 'Z' : offset
}
