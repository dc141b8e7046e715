/**
 * daily-report — compiles, from the database, one of the two daily documents of D10 15:
 * - `production-daily` (D10 15G, working days 10:00): the previous working day's output (final
 *   lots passed, first-pass rate, lots sent to rework, incoming lots judged), with the late orders,
 *   open escalations and SLA breaches, for the deputy general manager and the planning group;
 * - `coordination-agenda` (D10 15D, working days 16:00): the agenda of the production–sales
 *   coordination meeting: late orders, open escalations and SLA breaches since the last meeting.
 *
 * Late order: delivery date (order.deliveryDate) before today in the business calendar's time
 * zone, no shipment dispatched or delivered, and not closed (cancelled, declined, completed, ...).
 * Escalation: an `order_events` row with outcome `sla-breached` (written by escalation-notify);
 * open while its order is open; an SLA breach of the period is one recorded within it.
 *
 * The timer start event fires every day (a cron cannot know public holidays and make-up working
 * days). Whether today is a working day is the engine's answer: the diagram sets the input
 * `workingDay` to `${businessCalendar.isWorkingDay()}` (the engine's one calendar implementation);
 * on a day off nothing is compiled and the diagram ends there. The previous working day that the
 * report looks back to is read from processes/business-calendar.json at the day level (lib/calendar.ts).
 *
 * Reads:   reportKind (production-daily | coordination-agenda); workingDay (boolean, set by the
 *          diagram from ${businessCalendar.isWorkingDay()})
 * Writes:  workingDay (boolean); report {kind, title, date, period {from, to}, lateOrders,
 *          openEscalations, slaBreaches, output (production-daily only), markdown}, null on a
 *          day off; the diagram maps it to dailyReport or meetingAgenda, and the meeting form
 *          shows meetingAgenda.markdown
 * Errors:  none
 * Effects: the report is stored in `daily_reports` (once per job: a redelivered job stores
 *          nothing twice); `GET /reports/daily` reads the newest (dailyReports.latest).
 */
import { DateTime } from 'luxon'
import type { Knex } from 'knex'
import { createCalendar, loadCalendarDefinition, type BusinessCalendar } from '../lib/calendar.ts'
import { shippedOrLater } from '../lib/order-status.ts'
import { complete, type Handler, type WorkerDeps } from '../lib/worker.ts'

export const taskType = 'daily-report'

export const variablesSchema = {
  type: 'object',
  required: ['reportKind', 'workingDay'],
  properties: {
    reportKind: { enum: ['production-daily', 'coordination-agenda'] },
    workingDay: { type: 'boolean' },
  },
} as const

export const errorCodes = [] as const

export type ReportKind = 'production-daily' | 'coordination-agenda'

/** Order statuses after which an order is no longer late nor its escalations open: shipped and every later one (lib/order-status.ts). */
export const closedOrderStatuses = shippedOrLater

/** At most this many rows per list; the count says how many there are in all. */
export const listLimit = 50

export interface LateOrder {
  orderNumber: string
  customer: string | null
  priority: string
  status: string
  deliveryDate: string
  daysLate: number
}

export interface Escalation {
  orderNumber: string
  step: string
  elementId: string | null
  clause: string | null
  occurredAt: string
}

export interface Output {
  finalLotsPassed: number
  unitsPassed: number
  finalLotsToRework: number
  /** Final lots passed at the first inspection / final lots inspected; null when none. */
  firstPassRate: number | null
  incomingLotsJudged: number
  incomingLotsNotAccepted: number
  productionOrdersOpen: number
  purchaseRequestsOverdue: number
}

export interface Report {
  kind: ReportKind
  title: string
  /** The working day reported on, YYYY-MM-DD in the calendar's time zone. */
  date: string
  period: { from: string; to: string }
  lateOrders: { count: number; rows: LateOrder[] }
  openEscalations: { count: number; rows: Escalation[] }
  slaBreaches: { count: number; rows: Escalation[] }
  output: Output | null
  markdown: string
}

const closed = closedOrderStatuses as readonly string[]

/** Orders not closed and without a shipment on its way or delivered. */
function openOrders(db: Knex) {
  return db('orders as o')
    .whereNotIn('o.status', closed)
    .whereNotExists(
      db('shipments as s').select(db.raw('1')).whereRaw('s.order_number = o.order_number').whereIn('s.status', ['dispatched', 'delivered']),
    )
}

function escalations(db: Knex) {
  return db('order_events as e')
    .select('e.order_number', 'e.step', 'e.element_id', 'e.clause', 'e.occurred_at')
    .where('e.outcome', 'sla-breached')
}

const toEscalation = (row: { order_number: string; step: string; element_id: string | null; clause: string | null; occurred_at: Date }): Escalation => ({
  orderNumber: row.order_number,
  step: row.step,
  elementId: row.element_id,
  clause: row.clause,
  occurredAt: new Date(row.occurred_at).toISOString(),
})

async function counted<Row>(query: Knex.QueryBuilder, orderBy: [string, 'asc' | 'desc'][]): Promise<{ count: number; rows: Row[] }> {
  const [{ count }] = await query.clone().clearSelect().clearOrder().count({ count: '*' })
  let rows = query.clone().limit(listLimit)
  for (const [column, direction] of orderBy) rows = rows.orderBy(column, direction)
  return { count: Number(count), rows: (await rows) as Row[] }
}

/** The start of the working day before `day` (a local start of day). */
function previousWorkingDay(calendar: BusinessCalendar, day: DateTime): DateTime {
  let at = day.minus({ days: 1 })
  for (let i = 0; i < 60 && !calendar.isWorkingDay(at.toJSDate()); i++) at = at.minus({ days: 1 })
  return at
}

/** Gathers the report's facts at `now`; `markdown` is rendered from them. */
export async function compileReport(db: Knex, kind: ReportKind, now: Date, calendar: BusinessCalendar, timeZone: string): Promise<Report> {
  const local = DateTime.fromJSDate(now).setZone(timeZone)
  const today = local.startOf('day')
  const previous = previousWorkingDay(calendar, today)
  // D10 15G: the previous working day's output; D10 15D: what happened since the last meeting.
  const from = kind === 'production-daily' ? previous : previous.set({ hour: 16 })
  const to = kind === 'production-daily' ? today : local
  const todayText = today.toISODate() as string

  const lateQuery = openOrders(db)
    .select('o.order_number', 'o.customer_name', 'o.priority', 'o.status', db.raw(`o.data->>'deliveryDate' as delivery_date`))
    .whereRaw(`o.data->>'deliveryDate' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'`)
    .whereRaw(`o.data->>'deliveryDate' < ?`, [todayText])
  const late = await counted<{ order_number: string; customer_name: string | null; priority: string; status: string; delivery_date: string }>(
    lateQuery,
    [['delivery_date', 'asc'], ['o.order_number', 'asc']],
  )
  const lateOrders = {
    count: late.count,
    rows: late.rows.map((row) => ({
      orderNumber: row.order_number,
      customer: row.customer_name,
      priority: row.priority,
      status: row.status,
      deliveryDate: row.delivery_date,
      daysLate: Math.round(today.diff(DateTime.fromISO(row.delivery_date, { zone: timeZone }), 'days').days),
    })),
  }

  const open = await counted<Parameters<typeof toEscalation>[0]>(
    escalations(db).whereIn('e.order_number', openOrders(db).select('o.order_number')),
    [['e.occurred_at', 'asc'], ['e.id', 'asc']],
  )
  const breaches = await counted<Parameters<typeof toEscalation>[0]>(
    escalations(db).where('e.occurred_at', '>=', from.toJSDate()).where('e.occurred_at', '<', to.toJSDate()),
    [['e.occurred_at', 'asc'], ['e.id', 'asc']],
  )

  const output = kind === 'production-daily' ? await compileOutput(db, from.toJSDate(), to.toJSDate(), todayText) : null
  const facts = {
    kind,
    title: kind === 'production-daily' ? `Production daily report ${todayText} (D10 15G)` : `Production–sales coordination meeting ${todayText} (D10 15D)`,
    date: todayText,
    period: { from: from.toISO() as string, to: to.toISO() as string },
    lateOrders,
    openEscalations: { count: open.count, rows: open.rows.map(toEscalation) },
    slaBreaches: { count: breaches.count, rows: breaches.rows.map(toEscalation) },
    output,
  }
  return { ...facts, markdown: renderMarkdown(facts, timeZone) }
}

async function compileOutput(db: Knex, from: Date, to: Date, today: string): Promise<Output> {
  const inspected: { kind: string; verdict: string; lots: string; units: string | null }[] = await db('inspections')
    .select('kind', 'verdict', db.raw('count(*) as lots'), db.raw('sum(lot_size) as units'))
    .where('created_at', '>=', from)
    .where('created_at', '<', to)
    .groupBy('kind', 'verdict')
  const lots = (kind: string, verdict?: string) =>
    inspected.filter((r) => r.kind === kind && (verdict === undefined || r.verdict === verdict)).reduce((n, r) => n + Number(r.lots), 0)
  const finalPassedUnits = inspected.filter((r) => r.kind === 'final' && r.verdict === 'pass').reduce((n, r) => n + Number(r.units ?? 0), 0)
  const finalLots = lots('final')
  const [{ count: productionOrdersOpen }] = await db('production_orders').where({ status: 'instructed' }).count({ count: '*' })
  const [{ count: purchaseRequestsOverdue }] = await db('purchase_requests')
    .where({ status: 'requested' })
    .where('planned_arrival', '<', today)
    .count({ count: '*' })
  return {
    finalLotsPassed: lots('final', 'pass'),
    unitsPassed: finalPassedUnits,
    finalLotsToRework: lots('final', 'rework'),
    firstPassRate: finalLots === 0 ? null : Number((lots('final', 'pass') / finalLots).toFixed(4)),
    incomingLotsJudged: lots('incoming'),
    incomingLotsNotAccepted: lots('incoming') - lots('incoming', 'pass'),
    productionOrdersOpen: Number(productionOrdersOpen),
    purchaseRequestsOverdue: Number(purchaseRequestsOverdue),
  }
}

const cell = (value: unknown) => (value === null || value === undefined || value === '' ? '—' : String(value).replaceAll('|', '\\|'))

/** The report as Markdown, the way the meeting form and the recipients read it. */
export function renderMarkdown(report: Omit<Report, 'markdown'>, timeZone: string): string {
  const at = (iso: string) => DateTime.fromISO(iso).setZone(timeZone).toFormat('yyyy-MM-dd HH:mm')
  const more = (shown: number, count: number) => (count > shown ? [`\n…and ${count - shown} more.`] : [])
  const lines: string[] = [`## ${report.title}`, '', `Period ${at(report.period.from)} – ${at(report.period.to)} (${timeZone}).`, '']

  if (report.output) {
    const o = report.output
    lines.push(
      '### Output of the previous working day',
      '',
      `- Finished lots passed: ${o.finalLotsPassed} (${o.unitsPassed} units); sent to rework: ${o.finalLotsToRework}`,
      `- First-pass rate of final inspection: ${o.firstPassRate === null ? '—' : `${(o.firstPassRate * 100).toFixed(1)} %`}`,
      `- Incoming lots judged: ${o.incomingLotsJudged}; not accepted (escalated or rejected): ${o.incomingLotsNotAccepted}`,
      `- Production instructions open: ${o.productionOrdersOpen}; purchase requests past their planned arrival: ${o.purchaseRequestsOverdue}`,
      '',
    )
  }

  lines.push(`### Late orders (${report.lateOrders.count})`, '')
  if (report.lateOrders.count === 0) lines.push('None.')
  else {
    lines.push('| Order | Customer | Delivery date | Days late | Priority | Status |', '|---|---|---|---|---|---|')
    for (const o of report.lateOrders.rows) {
      lines.push(`| ${cell(o.orderNumber)} | ${cell(o.customer)} | ${o.deliveryDate} | ${o.daysLate} | ${cell(o.priority)} | ${cell(o.status)} |`)
    }
    lines.push(...more(report.lateOrders.rows.length, report.lateOrders.count))
  }

  for (const [heading, list] of [
    ['Open escalations', report.openEscalations],
    ['SLA breaches in the period', report.slaBreaches],
  ] as const) {
    lines.push('', `### ${heading} (${list.count})`, '')
    if (list.count === 0) {
      lines.push('None.')
      continue
    }
    lines.push('| Order | Step | Clause | Since |', '|---|---|---|---|')
    for (const e of list.rows) lines.push(`| ${cell(e.orderNumber)} | ${cell(e.elementId ?? e.step)} | ${cell(e.clause)} | ${at(e.occurredAt)} |`)
    lines.push(...more(list.rows.length, list.count))
  }
  if (report.kind === 'coordination-agenda') {
    lines.push('', 'Give every problem an owner and a completion date (D10 15D).')
  }
  return lines.join('\n')
}

export interface DailyReportVariables {
  reportKind: ReportKind
  /** Today is a working day of the business calendar: the engine's ${businessCalendar.isWorkingDay()}. */
  workingDay: boolean
}

export interface DailyReportOptions {
  now?: () => Date
  /** The business calendar (previous working day, time zone); read from processes/business-calendar.json by default. */
  calendar?: { definition: { timeZone: string }; calendar: BusinessCalendar }
}

export function createHandler(
  { db, dailyReports }: Pick<WorkerDeps, 'db' | 'dailyReports'>,
  options: DailyReportOptions = {},
): Handler<DailyReportVariables, never> {
  const now = options.now ?? (() => new Date())
  let business = options.calendar
  return async (job) => {
    if (!business) {
      const definition = loadCalendarDefinition()
      business = { definition, calendar: createCalendar(definition) }
    }
    const at = now()
    if (!job.variables.workingDay) return complete({ workingDay: false, report: null })
    const report = await compileReport(db, job.variables.reportKind, at, business.calendar, business.definition.timeZone)
    const { markdown, title, kind, date, ...facts } = report
    await dailyReports.save({ kind, date, title, markdown, facts }, { key: job.key, processInstanceKey: job.processInstanceKey })
    return complete({ workingDay: true, report })
  }
}
