/**
 * The service levels (SLA) of the procedures, read from `processes/service-levels.json`, which
 * process owners edit: one row per guarded step, naming its clause, the element it guards, how
 * its due date is found (a real-time duration, working time on the business calendar, a date
 * before or after a date of the order, month end, a daily time), who is told when it is missed,
 * and whether the work is handed up instead of going on. `deadlineOf` turns a row into the due
 * date and follow-up date that the element's timer and its Tasklist task both use; the urgent
 * policy (D7 4) shortens the levels of urgent orders in one place.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Ajv } from 'ajv'
import { DateTime, Duration } from 'luxon'
import type { BusinessCalendar } from './calendar.ts'
import { projectRoot } from './config.ts'
import { teams } from './notify.ts'

export type ServiceLevelKind = 'duration' | 'working-duration' | 'before-date' | 'after-date' | 'month-end' | 'daily-at'

export interface ServiceLevel {
  /** camelCase id: the timer waits for `=sla.<id>.due`. */
  id: string
  /** The clause in the catalogue's notation, e.g. D10 2C. */
  clause: string
  what: string
  /** Process id and element id of the guarded step. */
  process: string
  element: string
  kind: ServiceLevelKind
  /** ISO 8601 duration (or HH:MM for daily-at); none for month-end. */
  limit?: string
  /** A different limit when a variable has a value (complete sets get 24 h, D2 二.一.1). */
  limitWhen?: { variable: string; equals: string | number | boolean; limit: string }
  /** before-date / after-date: the variable path of the date (YYYY-MM-DD or an ISO date-time). */
  reference?: string
  /** before-date: count working days instead of calendar days. */
  workingDays?: boolean
  /** The limit for urgent orders, instead of the policy's factor. */
  urgentLimit?: string
  escalateTo: string[]
  interrupting: boolean
}

export interface UrgentPolicy {
  variable: string
  equals: string
  factor: number
  minimum: string
}

export interface ServiceLevelTable {
  urgentPolicy: UrgentPolicy
  levels: ServiceLevel[]
}

/** What the guarded element gets as `sla.<id>`, and what the deadline register stores. */
export interface Deadline {
  id: string
  clause: string
  kind: ServiceLevelKind
  /** The limit applied (after the urgent policy and limitWhen). */
  limit: string | null
  urgent: boolean
  startedAt: string
  /** ISO 8601 instant (UTC) the timer fires at. */
  due: string
  /** Halfway to the due date (the due date itself when that has passed): Tasklist's follow-up date. */
  followUp: string
  escalateTo: string
  interrupting: boolean
}

const isoDuration = '^P(?!$)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+S)?)?$'
const variablePath = '^[a-zA-Z][a-zA-Z0-9]*(\\.[a-zA-Z][a-zA-Z0-9]*)*$'

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['urgentPolicy', 'levels'],
  properties: {
    $comment: { type: 'string' },
    urgentPolicy: {
      type: 'object',
      additionalProperties: false,
      required: ['variable', 'equals', 'factor', 'minimum'],
      properties: {
        $comment: { type: 'string' },
        variable: { type: 'string', pattern: variablePath },
        equals: { type: 'string' },
        factor: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        minimum: { type: 'string', pattern: isoDuration },
      },
    },
    levels: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'clause', 'what', 'process', 'element', 'kind', 'escalateTo', 'interrupting'],
        properties: {
          id: { type: 'string', pattern: '^[a-z][a-zA-Z0-9]*$' },
          clause: { type: 'string', pattern: '^D(10|[1-9]) \\S' },
          what: { type: 'string', minLength: 1 },
          process: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' },
          element: { type: 'string', pattern: '^[A-Z][A-Z0-9_]*$' },
          kind: { enum: ['duration', 'working-duration', 'before-date', 'after-date', 'month-end', 'daily-at'] },
          limit: { type: 'string', minLength: 1 },
          limitWhen: {
            type: 'object',
            additionalProperties: false,
            required: ['variable', 'equals', 'limit'],
            properties: {
              variable: { type: 'string', pattern: variablePath },
              equals: { type: ['string', 'number', 'boolean'] },
              limit: { type: 'string', pattern: isoDuration },
            },
          },
          reference: { type: 'string', pattern: variablePath },
          workingDays: { type: 'boolean' },
          urgentLimit: { type: 'string', pattern: isoDuration },
          escalateTo: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: Object.keys(teams) } },
          interrupting: { type: 'boolean' },
        },
      },
    },
  },
} as const

const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(schema)

export const serviceLevelFile = path.join(projectRoot, 'processes', 'service-levels.json')

/** The problems of rows that the schema cannot see (kind-specific fields, duplicates). */
function semanticProblems(table: ServiceLevelTable): string[] {
  const problems: string[] = []
  const ids = new Set<string>()
  for (const [i, level] of table.levels.entries()) {
    const at = `/levels/${i} (${level.id})`
    if (ids.has(level.id)) problems.push(`${at} id is used twice`)
    ids.add(level.id)
    const timed = level.kind !== 'month-end' && level.kind !== 'daily-at'
    if (timed && (!level.limit || !new RegExp(isoDuration).test(level.limit))) problems.push(`${at} limit must be an ISO 8601 duration such as PT4H or P1D`)
    if (level.kind === 'daily-at' && !/^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(level.limit ?? '')) problems.push(`${at} limit must be a local time HH:MM`)
    if (level.kind === 'month-end' && level.limit) problems.push(`${at} month-end takes no limit`)
    const dated = level.kind === 'before-date' || level.kind === 'after-date'
    if (dated !== Boolean(level.reference)) problems.push(`${at} ${dated ? 'needs' : 'takes no'} reference (the variable holding the date)`)
    if (level.workingDays && level.kind !== 'before-date') problems.push(`${at} workingDays applies to before-date only`)
    if (level.interrupting && !timed) problems.push(`${at} only a duration level can hand the work up`)
  }
  return problems
}

/** Reads and checks the table; a mistake is named with the file and the field. */
export function loadServiceLevels(file = serviceLevelFile): ServiceLevelTable {
  const table = JSON.parse(readFileSync(file, 'utf8')) as unknown
  const where = path.relative(projectRoot, file)
  if (!validate(table)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')
    throw new Error(`${where}: ${problems}`)
  }
  const problems = semanticProblems(table as ServiceLevelTable)
  if (problems.length) throw new Error(`${where}: ${problems.join('; ')}`)
  return table as ServiceLevelTable
}

/** The value at a dotted path of the variables (undefined when a step is missing). */
export function valueAt(variables: Record<string, unknown>, dotted: string): unknown {
  let value: unknown = variables
  for (const key of dotted.split('.')) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

/** The root variable names the table reads (what the sla-deadline worker fetches). */
export function variablesRead(table: ServiceLevelTable): string[] {
  const paths = [table.urgentPolicy.variable, ...table.levels.flatMap((l) => [l.reference, l.limitWhen?.variable])]
  return [...new Set(paths.filter((p): p is string => Boolean(p)).map((p) => p.split('.')[0]))].sort()
}

const durationMinutes = (iso: string, minutesPerDay: number) => {
  const d = Duration.fromISO(iso)
  // In working time a day is a working day; hours and minutes are working hours and minutes.
  return (d.years * 365 + d.months * 30 + d.weeks * 7 + d.days) * minutesPerDay + d.hours * 60 + d.minutes + d.seconds / 60
}

/**
 * The limit of a row for these variables: limitWhen first, then the urgent policy, which scales
 * duration and working-duration limits by its factor (working days in working minutes, so half
 * of P1D is half a working day), never below its minimum, unless the row names an urgentLimit.
 */
export function effectiveLimit(
  table: ServiceLevelTable,
  level: ServiceLevel,
  variables: Record<string, unknown>,
): { limit: string | null; urgent: boolean; factor: number } {
  let limit = level.limit ?? null
  if (level.limitWhen && valueAt(variables, level.limitWhen.variable) === level.limitWhen.equals) limit = level.limitWhen.limit
  const policy = table.urgentPolicy
  const urgent = valueAt(variables, policy.variable) === policy.equals
  if (!urgent || limit === null || (level.kind !== 'duration' && level.kind !== 'working-duration')) return { limit, urgent, factor: 1 }
  if (level.urgentLimit) return { limit: level.urgentLimit, urgent, factor: 1 }
  return { limit, urgent, factor: policy.factor }
}

/** A reference date of a variable: a date (YYYY-MM-DD) or an ISO date-time. */
function referenceDate(level: ServiceLevel, variables: Record<string, unknown>, zone: string): { at: DateTime; dateOnly: boolean } | null {
  const value = valueAt(variables, level.reference!)
  if (value === undefined || value === null || value === '') return null
  if (typeof value !== 'string') throw new Error(`service level ${level.id} (${level.clause}): ${level.reference} = ${JSON.stringify(value)} is not a date`)
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value)
  // A date-time without an offset is local time of the calendar's zone.
  const at = DateTime.fromISO(value, { zone })
  if (!at.isValid) throw new Error(`service level ${level.id} (${level.clause}): ${level.reference} = "${value}" is not a date (YYYY-MM-DD) nor an ISO date-time`)
  return { at, dateOnly }
}

/**
 * The deadline of `level` for a step that starts at `start` with these variables. A date-only
 * reference counts from the start of working hours of the day before which (or after whose
 * close) the level falls; a date-time reference is used as it is. Without the reference date
 * (an order that names none) the limit runs as a plain duration from the start.
 */
export function deadlineOf(table: ServiceLevelTable, level: ServiceLevel, start: Date, variables: Record<string, unknown>, calendar: BusinessCalendar): Deadline {
  const { limit, urgent, factor } = effectiveLimit(table, level, variables)
  const minimumMinutes = durationMinutes(table.urgentPolicy.minimum, 24 * 60)
  const scaled = (minutes: number) => (factor === 1 ? minutes : Math.max(minutes * factor, minimumMinutes))
  const zone = calendar.definition.timeZone
  const [firstPeriod] = calendar.definition.workingHours
  const lastPeriod = calendar.definition.workingHours.at(-1)!
  const atTime = (day: DateTime, hhmm: string) => day.startOf('day').set({ hour: Number(hhmm.slice(0, 2)), minute: Number(hhmm.slice(3, 5)) })
  let due: Date
  switch (level.kind) {
    case 'duration':
      due = new Date(start.getTime() + Math.round(scaled(durationMinutes(limit!, 24 * 60)) * 60000))
      break
    case 'working-duration':
      due = calendar.addWorkingMinutes(start, scaled(durationMinutes(limit!, calendar.minutesPerDay)))
      break
    case 'before-date': {
      const reference = referenceDate(level, variables, zone)
      if (!reference) {
        due = new Date(start.getTime() + Duration.fromISO(limit!).toMillis())
        break
      }
      const { at, dateOnly } = reference
      if (level.workingDays) due = calendar.workingDaysBefore(at.toJSDate(), Duration.fromISO(limit!).as('days'))
      else if (dateOnly) due = atTime(at.minus(Duration.fromISO(limit!)), firstPeriod.from).toJSDate()
      else due = at.minus(Duration.fromISO(limit!)).toJSDate()
      break
    }
    case 'after-date': {
      const reference = referenceDate(level, variables, zone)
      if (!reference) {
        due = new Date(start.getTime() + Duration.fromISO(limit!).toMillis())
        break
      }
      const { at, dateOnly } = reference
      due = (dateOnly ? atTime(at, lastPeriod.to) : at).plus(Duration.fromISO(limit!)).toJSDate()
      break
    }
    case 'month-end':
      due = calendar.lastWorkingMomentOfMonth(start)
      break
    case 'daily-at':
      throw new Error(`service level ${level.id} (${level.clause}) is a daily timer start event, not a step deadline`)
  }
  const followUp = due.getTime() <= start.getTime() ? due : new Date(start.getTime() + (due.getTime() - start.getTime()) / 2)
  return {
    id: level.id,
    clause: level.clause,
    kind: level.kind,
    limit: limit === null ? null : factor === 1 ? limit : `${limit} × ${factor}`,
    urgent,
    startedAt: start.toISOString(),
    due: due.toISOString(),
    followUp: followUp.toISOString(),
    escalateTo: level.escalateTo.join(','),
    interrupting: level.interrupting,
  }
}

/** The rows that guard one element of one process. */
export function levelsOf(table: ServiceLevelTable, processId: string, elementId: string): ServiceLevel[] {
  return table.levels.filter((level) => level.process === processId && level.element === elementId)
}
