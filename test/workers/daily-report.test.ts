import { randomInt } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createCalendar, type CalendarDefinition } from '../../lib/calendar.ts'
import { loadConfig } from '../../lib/config.ts'
import { createDb } from '../../lib/db.ts'
import { createRepositories } from '../../lib/repositories/index.ts'
import type { JobContext } from '../../lib/worker.ts'
import type { OrderStatus } from '../../lib/order-status.ts'
import { createHandler, renderMarkdown, variablesSchema, type DailyReportVariables, type Report, type ReportKind } from '../../workers/daily-report.ts'

// Runs against the migrated database of DATABASE_URL (npm test makes one of its own); the
// database is shared, so the test looks for its own rows, not for exact counts.
const db = createDb(loadConfig().DATABASE_URL)
const repos = createRepositories(db)
const definition: CalendarDefinition = {
  timeZone: 'Asia/Shanghai', workingWeekdays: [1, 2, 3, 4, 5], workingHours: [{ from: '08:30', to: '17:30' }], holidays: [], makeUpWorkingDays: [],
}
const calendar = { definition, calendar: createCalendar(definition) }
/** Every day a working day: the tests that compile at the real time of the run use it. */
const everyDay = { definition, calendar: createCalendar({ ...definition, workingWeekdays: [1, 2, 3, 4, 5, 6, 7] }) }
const deps = { db, dailyReports: repos.dailyReports }
const made: string[] = []

async function newOrder(deliveryDate: string, status: OrderStatus = 'production-instructed') {
  const orderNumber = `CO-2026-${Date.now()}${randomInt(1000, 10000)}`
  made.push(orderNumber)
  await repos.orders.upsert({
    order_number: orderNumber, channel: 'contract', customer_name: 'Shenzhen Huaxun Engineering', priority: 'urgent', status,
    data: { orderNumber, deliveryDate }, process_instance_key: null,
  })
  return orderNumber
}

/** workingDay is what the diagram's ${businessCalendar.isWorkingDay()} gave (the engine's calendar). */
const job = (reportKind: ReportKind, key = '601', workingDay = true): JobContext<DailyReportVariables> => ({
  key, type: 'daily-report', processInstanceKey: '9401', bpmnProcessId: 'daily-production-report',
  elementId: reportKind === 'production-daily' ? 'COMPILE_DAILY_REPORT' : 'PREPARE_AGENDA', elementInstanceKey: '9402', retries: 3, customHeaders: {}, variables: { reportKind, workingDay },
})

test.after(async () => {
  // Closed orders are neither late nor open escalations: later reports no longer list them.
  for (const orderNumber of made) await repos.orders.advance(orderNumber, 'closed')
  await db.destroy()
})

test('the agenda lists a late order, its open escalation and the breach (D10 15D)', async () => {
  const late = await newOrder('2000-01-03')
  const onTime = await newOrder('2999-01-01')
  await repos.events.append({ order_number: late, step: 'escalation-notify', actor: 'worker:escalation-notify', outcome: 'sla-breached', clause: 'D10 3B', element_id: 'INSTRUCTION_SLA_4H', job_key: `esc-${late}` })
  const outcome = await createHandler(deps, { calendar: everyDay })(job('coordination-agenda'))
  assert.is(outcome.kind, 'complete')
  const report = (outcome as unknown as { variables: { report: Report } }).variables.report
  assert.is(report.kind, 'coordination-agenda')
  assert.is(report.output, null)
  const row = report.lateOrders.rows.find((o) => o.orderNumber === late)
  assert.ok(row, 'the late order is listed')
  assert.is(row?.deliveryDate, '2000-01-03')
  assert.ok((row?.daysLate ?? 0) > 9000)
  assert.not.ok(report.lateOrders.rows.some((o) => o.orderNumber === onTime))
  assert.ok(report.openEscalations.rows.some((e) => e.orderNumber === late && e.clause === 'D10 3B'))
  assert.ok(report.slaBreaches.rows.some((e) => e.orderNumber === late && e.elementId === 'INSTRUCTION_SLA_4H'))
  assert.match(report.markdown, `| ${late} | Shenzhen Huaxun Engineering | 2000-01-03 |`)
  assert.match(report.markdown, 'Give every problem an owner and a completion date (D10 15D).')
})

test('a shipped or closed order is not late', async () => {
  const closed = await newOrder('2000-01-04', 'cancelled')
  const report = (await createHandler(deps, { calendar: everyDay })(job('coordination-agenda')) as unknown as { variables: { report: Report } }).variables.report
  assert.not.ok(report.lateOrders.rows.some((o) => o.orderNumber === closed))
})

test('the daily report covers the previous working day and adds the output (D10 15G)', async () => {
  // Monday 2026-11-23 10:00 in Shanghai: the previous working day is Friday 2026-11-20.
  const now = () => new Date('2026-11-23T02:00:00Z')
  const first = await createHandler(deps, { calendar, now })(job('production-daily', '602'))
  const again = await createHandler(deps, { calendar, now })(job('production-daily', '602'))
  assert.equal(again, first, 'a redelivered job compiles the same report')
  const report = (first as unknown as { variables: { report: Report } }).variables.report
  assert.equal(report.period, { from: '2026-11-20T00:00:00.000+08:00', to: '2026-11-23T00:00:00.000+08:00' })
  assert.is(report.date, '2026-11-23')
  assert.ok(report.output)
  assert.match(report.markdown, '### Output of the previous working day')
})

test('the report is stored once per job and is the latest for the API (GET /reports/daily)', async () => {
  const now = () => new Date('2026-11-23T02:00:00Z')
  const key = `daily-${Date.now()}`
  await createHandler(deps, { calendar, now })(job('production-daily', key))
  await createHandler(deps, { calendar, now })(job('production-daily', key))
  const stored = await db('daily_reports').where({ job_key: key })
  assert.is(stored.length, 1, 'a redelivered job stores nothing twice')
  const latest = await repos.dailyReports.latest({ kind: 'production-daily', date: '2026-11-23' })
  assert.is(latest?.job_key, key)
  assert.is(latest?.report_date, '2026-11-23')
  assert.match(latest?.markdown ?? '', 'Production daily report 2026-11-23 (D10 15G)')
  assert.ok((latest?.report as { lateOrders?: unknown }).lateOrders, 'the facts are stored with the markdown')
})

test('on a day off (the engine calendar said workingDay false) nothing is compiled and the diagram ends', async () => {
  const before = await db('daily_reports').count({ count: '*' })
  const off = await createHandler(deps, { calendar, now: () => new Date('2026-11-22T02:00:00Z') })(job('production-daily', `off-${Date.now()}`, false))
  assert.equal(off, { kind: 'complete', variables: { workingDay: false, report: null } })
  assert.equal(await db('daily_reports').count({ count: '*' }), before, 'nothing stored')
  assert.equal(variablesSchema.required, ['reportKind', 'workingDay'], 'a diagram that does not set workingDay gets an incident naming it')
})

test('the previous working day of the report skips a public holiday of the calendar file', async () => {
  const holiday = { definition, calendar: createCalendar({ ...definition, holidays: ['2026-11-20'] }) }
  // Monday 23 November 10:00 Shanghai: Friday 20 November is a holiday, so the period starts Thursday 19.
  const outcome = await createHandler(deps, { calendar: holiday, now: () => new Date('2026-11-23T02:00:00Z') })(job('production-daily', `hol-${Date.now()}`))
  const report = (outcome as unknown as { variables: { report: Report } }).variables.report
  assert.is(report.period.from.slice(0, 10), '2026-11-19')
})

test('the markdown says None for empty lists and names how many rows are left out', () => {
  const empty = { count: 0, rows: [] }
  const markdown = renderMarkdown(
    {
      kind: 'coordination-agenda', title: 'Agenda', date: '2026-11-24', period: { from: '2026-11-23T16:00:00+08:00', to: '2026-11-24T16:00:00+08:00' },
      lateOrders: { count: 52, rows: [{ orderNumber: 'CO-1', customer: null, priority: 'normal', status: 'planning', deliveryDate: '2026-11-01', daysLate: 23 }] },
      openEscalations: empty, slaBreaches: empty, output: null,
    },
    'Asia/Shanghai',
  )
  assert.match(markdown, '| CO-1 | — | 2026-11-01 | 23 | normal | planning |')
  assert.match(markdown, '…and 51 more.')
  assert.match(markdown, '### Open escalations (0)\n\nNone.')
})

test('an unreachable database is a technical fault', async () => {
  const broken = createDb('postgres://postgres@127.0.0.1:1/none')
  try {
    await createHandler({ db: broken, dailyReports: createRepositories(broken).dailyReports }, { calendar: everyDay })(job('coordination-agenda'))
    assert.unreachable('should have thrown')
  } catch (error) {
    assert.ok(error instanceof Error)
  } finally {
    await broken.destroy()
  }
})

test.run()
