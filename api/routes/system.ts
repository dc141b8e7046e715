/** Health (liveness), readiness (database and engine) and the daily report. */
import type { FastifyInstance } from 'fastify'
import { engineNodeUrls } from '../../lib/config.ts'
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
    const engine = (await deps.engine.ready()) ? { ok: true } : { ok: false, detail: `no engine node answers (REST API at ${engineNodeUrls(deps.config).map((url) => `${url}/engine-rest`).join(', ')})` }
    const ready = database.ok && engine.ok
    reply.code(ready ? 200 : 503)
    return { ready, database, engine }
  })

  const calendar = createCalendar(loadCalendarDefinition())
  const dailyReport = {
    type: 'object',
    required: ['kind', 'date', 'title', 'markdown', 'source', 'facts'],
    additionalProperties: false,
    properties: {
      kind: { enum: ['production-daily', 'coordination-agenda'] },
      date: { type: 'string', description: 'The working day reported on, YYYY-MM-DD.' },
      title: { type: 'string' },
      markdown: { type: 'string', description: 'The report as the planning group and the meeting read it.' },
      source: { enum: ['stored', 'compiled'], description: 'stored: the report the daily-report worker filed; compiled: compiled now, none was filed.' },
      createdAt: { type: 'string' },
      facts: { type: 'object', additionalProperties: true, description: 'Late orders, open escalations, SLA breaches and (daily report) the output figures.' },
    },
  } as const
  app.get('/reports/daily', {
    config: { roles: ['auditor'] },
    schema: {
      tags: ['audit'],
      summary: 'The production daily report or the coordination meeting agenda (D10 15G, 15D)',
      description: 'The newest report the daily-report worker filed (of that date when given); when none is filed, compiled from the database as the worker does.',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { kind: { enum: ['production-daily', 'coordination-agenda'], default: 'production-daily' }, date },
      },
      response: { 200: dailyReport, ...problems(400, 401, 403) },
    },
  }, async (request) => {
    const { kind, date: day } = request.query as { kind: 'production-daily' | 'coordination-agenda'; date?: string }
    if (await deps.db.schema.hasTable('daily_reports')) {
      let query = deps.db('daily_reports').where({ kind }).orderBy('id', 'desc')
      if (day) query = query.where({ report_date: day })
      const stored = await query.first('kind', 'title', 'report', 'markdown', 'created_at', deps.db.raw(`to_char(report_date, 'YYYY-MM-DD') as report_date`))
      if (stored) {
        return { kind, date: stored.report_date, title: stored.title, markdown: stored.markdown, source: 'stored', createdAt: new Date(stored.created_at).toISOString(), facts: stored.report }
      }
    }
    const timeZone = loadCalendarDefinition().timeZone
    const now = day ? new Date(`${day}T16:00:00${offsetOf(timeZone)}`) : new Date()
    const { kind: _kind, title, date: reportDate, markdown, ...facts } = await compileReport(deps.db, kind, now, calendar, timeZone)
    return { kind, date: reportDate, title, markdown, source: 'compiled', facts }
  })
}

/** The UTC offset of a time zone now, e.g. +08:00. */
function offsetOf(timeZone: string): string {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(new Date()).find((p) => p.type === 'timeZoneName')?.value
  const offset = name?.replace('GMT', '') ?? ''
  return offset === '' ? 'Z' : offset
}
