/**
 * The service levels (SLA) of the procedures, read from `processes/service-levels.json`, which
 * process owners edit: one row per guarded step, naming its clause, the element it guards, how
 * its due date is found (a real-time duration, working time on the business calendar, a date
 * before or after a date of the order, month end, a daily time), who is told when it is missed,
 * and whether the work is handed up instead of going on.
 *
 * The due instants are computed in the engine, not here: the engine's `serviceLevels` bean
 * (engine/src/main/java/org/orderflow/engine/sla) reads the same file and the business calendar,
 * and diagrams call it (`${serviceLevels.due(execution, 'gmApproval')}`), so there is one
 * calendar implementation. This module keeps the file's schema (model tests and the start-up
 * check use it) and the shape of the `sla.<id>` variable the bean writes.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Ajv } from 'ajv'
import { projectRoot } from './config.ts'
import { teams } from './notify.ts'

export type ServiceLevelKind = 'duration' | 'working-duration' | 'before-date' | 'after-date' | 'month-end' | 'daily-at'

export interface ServiceLevel {
  /** camelCase id: the timer waits for `${serviceLevels.due(execution, '<id>')}`. */
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

/**
 * What the engine's `serviceLevels` bean keeps in the process variable `sla` as `sla.<id>` for
 * the guarded activity instance (its timer and its task share it), and what escalation-notify
 * records in the deadline register when the level is missed.
 */
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
  /** The guarded activity instance (the step key of the escalation's register row). */
  activityInstanceId: string | null
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

/** The root variable names the table reads (the variables the engine bean reads). */
export function variablesRead(table: ServiceLevelTable): string[] {
  const paths = [table.urgentPolicy.variable, ...table.levels.flatMap((l) => [l.reference, l.limitWhen?.variable])]
  return [...new Set(paths.filter((p): p is string => Boolean(p)).map((p) => p.split('.')[0]))].sort()
}

/** The rows that guard one element of one process. */
export function levelsOf(table: ServiceLevelTable, processId: string, elementId: string): ServiceLevel[] {
  return table.levels.filter((level) => level.process === processId && level.element === elementId)
}
