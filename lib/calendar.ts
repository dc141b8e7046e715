/**
 * The business calendar: working days and hours in a time zone, public holidays and make-up
 * working days (调休), read from `processes/business-calendar.json`, which process owners edit.
 * Due instants in working time are computed in the engine (engine/.../sla/BusinessCalendar.java,
 * the one implementation of working hours); this module checks the file and tells working days
 * from days off, which is all the reports need.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Ajv } from 'ajv'
import { DateTime } from 'luxon'
import { projectRoot } from './config.ts'

export interface CalendarDefinition {
  /** Where the dates come from and how sure they are. */
  notes?: string
  /** IANA time zone of the working hours, e.g. Asia/Shanghai. */
  timeZone: string
  /** ISO weekday numbers that are working days (1 = Monday … 7 = Sunday). */
  workingWeekdays: number[]
  /** Working periods of a working day, local time, in order, e.g. 08:30–12:00 and 13:30–17:30. */
  workingHours: { from: string; to: string }[]
  /** Dates (YYYY-MM-DD) that are not working days although their weekday is. */
  holidays: string[]
  /** Dates (YYYY-MM-DD) that are working days although their weekday is not (make-up days). */
  makeUpWorkingDays: string[]
}

const time = '^([01][0-9]|2[0-3]):[0-5][0-9]$'
const date = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
const validate = new Ajv({ allErrors: true }).compile({
  type: 'object',
  additionalProperties: false,
  required: ['timeZone', 'workingWeekdays', 'workingHours', 'holidays', 'makeUpWorkingDays'],
  properties: {
    $comment: { type: 'string' },
    notes: { type: 'string' },
    timeZone: { type: 'string', minLength: 1 },
    workingWeekdays: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'integer', minimum: 1, maximum: 7 } },
    workingHours: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['from', 'to'],
        properties: { from: { type: 'string', pattern: time }, to: { type: 'string', pattern: time } },
      },
    },
    holidays: { type: 'array', items: { type: 'string', pattern: date } },
    makeUpWorkingDays: { type: 'array', items: { type: 'string', pattern: date } },
  },
})

export const calendarFile = path.join(projectRoot, 'processes', 'business-calendar.json')

/** Reads and checks a calendar file; a mistake is named with the file and the field. */
export function loadCalendarDefinition(file = calendarFile): CalendarDefinition {
  const definition = JSON.parse(readFileSync(file, 'utf8')) as unknown
  if (!validate(definition)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')
    throw new Error(`${path.relative(projectRoot, file)}: ${problems}`)
  }
  return definition as CalendarDefinition
}

export type BusinessCalendar = ReturnType<typeof createCalendar>

/**
 * Which local dates are working days, for the reports that look back over days (the previous
 * working day of the daily report, the API's compiled report of a given date). Only the day
 * level: working hours and due instants are the engine's (BusinessCalendar.java), which also
 * answers "is today a working day" to the daily-report diagram.
 */
export function createCalendar(definition: CalendarDefinition) {
  const zone = definition.timeZone
  if (!DateTime.now().setZone(zone).isValid) throw new Error(`unknown time zone "${zone}" in the business calendar`)
  const holidays = new Set(definition.holidays)
  const makeUp = new Set(definition.makeUpWorkingDays)
  return {
    definition,
    /** True when the local date of `at` in the calendar's time zone is a working day. */
    isWorkingDay(at: Date): boolean {
      const day = DateTime.fromJSDate(at, { zone })
      const iso = day.toISODate()!
      if (makeUp.has(iso)) return true
      if (holidays.has(iso)) return false
      return definition.workingWeekdays.includes(day.weekday)
    },
  }
}
