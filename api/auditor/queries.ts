/**
 * The auditor view's reads over many orders, in SQL with bindings only and paged in the database:
 * the order list (filters, newest first, figures per order) and the service-level breaches of a
 * period by clause and role. Dates are the business calendar's (processes/business-calendar.json).
 */
import type { Knex } from 'knex'
import { DateTime } from 'luxon'
import { loadCalendarDefinition } from '../../lib/calendar.ts'
import { loadModel } from '../../lib/model.ts'
import { loadServiceLevels } from '../../lib/service-levels.ts'

/** What the order list is filtered by (every field optional) and which page it shows. */
export interface OrderFilter {
  number?: string
  customer?: string
  /** Created on or after this day (YYYY-MM-DD, business time zone). */
  from?: string
  /** Created on or before this day. */
  to?: string
  status?: string
  channel?: 'contract' | 'shop'
  priority?: 'normal' | 'urgent'
  /** Only orders with at least one breached service level. */
  missed?: boolean
  page: number
  pageSize: number
}

/** One order of the list with the figures the database holds. */
export interface OrderRow {
  orderNumber: string
  channel: string
  customerName: string | null
  priority: string
  status: string
  createdAt: string
  processInstanceKey: string | null
  /** Rows of order_events: the automated steps and API events recorded for the order. */
  steps: number
  breaches: number
}

const zone = () => loadCalendarDefinition().timeZone

/** The first instant of a business day (YYYY-MM-DD), or of the day after it (`after`). */
export function dayStart(day: string, after = false): Date {
  const start = DateTime.fromISO(day, { zone: zone() }).startOf('day')
  return (after ? start.plus({ days: 1 }) : start).toJSDate()
}

/** The current month up to today, as business days (YYYY-MM-DD). */
export function thisMonth(now = new Date()): { from: string; to: string } {
  const today = DateTime.fromJSDate(now, { zone: zone() })
  return { from: today.startOf('month').toISODate()!, to: today.toISODate()! }
}

/** LIKE pattern matching `text` anywhere, its own % _ and \ taken literally. */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

function filtered(db: Knex, filter: OrderFilter): Knex.QueryBuilder {
  const query = db('orders as o')
  if (filter.number) query.where('o.order_number', 'ilike', containing(filter.number))
  if (filter.customer) query.where('o.customer_name', 'ilike', containing(filter.customer))
  if (filter.from) query.where('o.created_at', '>=', dayStart(filter.from))
  if (filter.to) query.where('o.created_at', '<', dayStart(filter.to, true))
  if (filter.status) query.where('o.status', filter.status)
  if (filter.channel) query.where('o.channel', filter.channel)
  if (filter.priority) query.where('o.priority', filter.priority)
  if (filter.missed) {
    query.whereExists((sub) => sub.select(db.raw('1')).from('service_level_deadlines as d').whereRaw('d.order_number = o.order_number').whereNotNull('d.breached_at'))
  }
  return query
}

/** One page of the orders the filter finds, newest first, and how many it finds in all. */
export async function findOrders(db: Knex, filter: OrderFilter): Promise<{ total: number; orders: OrderRow[] }> {
  const [{ count }] = await filtered(db, filter).count<{ count: string | number }[]>({ count: '*' })
  const rows = await filtered(db, filter)
    .select(
      'o.order_number', 'o.channel', 'o.customer_name', 'o.priority', 'o.status', 'o.created_at', 'o.process_instance_key',
      db.raw('(select count(*) from order_events e where e.order_number = o.order_number) as steps'),
      db.raw('(select count(*) from service_level_deadlines d where d.order_number = o.order_number and d.breached_at is not null) as breaches'),
    )
    .orderBy([{ column: 'o.created_at', order: 'desc' }, { column: 'o.order_number', order: 'desc' }])
    .limit(filter.pageSize)
    .offset((filter.page - 1) * filter.pageSize)
  return {
    total: Number(count),
    orders: rows.map((r: Record<string, unknown>) => ({
      orderNumber: String(r.order_number),
      channel: String(r.channel),
      customerName: (r.customer_name as string | null) ?? null,
      priority: String(r.priority),
      status: String(r.status),
      createdAt: new Date(r.created_at as Date).toISOString(),
      processInstanceKey: (r.process_instance_key as string | null) ?? null,
      steps: Number(r.steps),
      breaches: Number(r.breaches),
    })),
  }
}

/** The statuses orders have now (for the list's status filter). */
export async function orderStatuses(db: Knex): Promise<string[]> {
  const rows: { status: string }[] = await db('orders').distinct('status').orderBy('status')
  return rows.map((r) => r.status)
}

/** The breaches of one service level, clause and role in a period. */
export interface BreachGroup {
  clause: string
  /** The role whose step it guards (the user task's candidate group), or "—" for a step no role works. */
  role: string
  slaId: string
  /** What the level demands (processes/service-levels.json). */
  what: string | null
  escalateTo: string
  count: number
  /** The largest lateness: breach time − due time, in minutes. */
  worstLateMinutes: number
  orders: string[]
}

let responsible: Promise<Map<string, string>> | undefined
/** process/element → candidate groups of the project's user tasks, read once. */
function responsibleRoles(): Promise<Map<string, string>> {
  responsible ??= loadModel().then((model) => new Map(model.userTasks.map((t) => [`${t.processId}/${t.id}`, t.candidateGroups.join(', ')])))
  return responsible
}

/** The breaches (breached_at in [from, to]) grouped by clause, level and responsible role, most first. */
export async function breachesByClause(db: Knex, period: { from: string; to: string }): Promise<BreachGroup[]> {
  const rows: { sla_id: string; clause: string; order_number: string | null; element_id: string; escalate_to: string; late_minutes: string | number }[] = await db('service_level_deadlines')
    .whereNotNull('breached_at')
    .where('breached_at', '>=', dayStart(period.from))
    .where('breached_at', '<', dayStart(period.to, true))
    .select('sla_id', 'clause', 'order_number', 'element_id', 'escalate_to', db.raw('extract(epoch from (breached_at - due_at)) / 60 as late_minutes'))
    .orderBy('id')
  const levels = new Map(loadServiceLevels().levels.map((l) => [l.id, l]))
  const roles = await responsibleRoles()
  const groups = new Map<string, BreachGroup>()
  for (const row of rows) {
    const level = levels.get(row.sla_id)
    const role = (level && roles.get(`${level.process}/${row.element_id}`)) || '—'
    const key = `${row.clause}|${row.sla_id}|${role}`
    const group = groups.get(key) ?? { clause: row.clause, role, slaId: row.sla_id, what: level?.what ?? null, escalateTo: row.escalate_to, count: 0, worstLateMinutes: 0, orders: [] }
    group.count += 1
    group.worstLateMinutes = Math.max(group.worstLateMinutes, Math.round(Number(row.late_minutes)))
    if (row.order_number && !group.orders.includes(row.order_number)) group.orders.push(row.order_number)
    groups.set(key, group)
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.clause.localeCompare(b.clause))
}
