/**
 * The business calendar: working days and hours in a time zone, public holidays and make-up
 * working days (调休), read from `processes/business-calendar.json`, which process owners edit.
 * Zeebe timers know no calendar, so service levels in working time are turned into due dates
 * here, and the timers wait for those dates.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Ajv } from 'ajv'
import { DateTime, Duration } from 'luxon'
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

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

export type BusinessCalendar = ReturnType<typeof createCalendar>

/** A calendar over `definition`; every function takes and returns instants (Date). */
export function createCalendar(definition: CalendarDefinition) {
  const zone = definition.timeZone
  if (!DateTime.now().setZone(zone).isValid) throw new Error(`unknown time zone "${zone}" in the business calendar`)
  const periods = definition.workingHours.map(({ from, to }) => ({ from: minutesOf(from), to: minutesOf(to) }))
  periods.forEach((p, i) => {
    if (p.to <= p.from || (i > 0 && p.from < periods[i - 1].to)) {
      throw new Error('business calendar: working hours must be increasing, non-overlapping periods')
    }
  })
  const holidays = new Set(definition.holidays)
  const makeUp = new Set(definition.makeUpWorkingDays)
  const minutesPerDay = periods.reduce((sum, p) => sum + p.to - p.from, 0)

  const local = (at: Date) => DateTime.fromJSDate(at, { zone })

  /** True when the local date is a working day. */
  function isWorkingDay(day: DateTime): boolean {
    const iso = day.toISODate()!
    if (makeUp.has(iso)) return true
    if (holidays.has(iso)) return false
    return definition.workingWeekdays.includes(day.weekday)
  }

  /** The start of the working period in progress at `t`, or of the next one. */
  function nextWorkingMoment(t: DateTime): DateTime {
    let day = t.startOf('day')
    for (let guard = 0; guard < 3700; guard++) {
      if (isWorkingDay(day)) {
        for (const p of periods) {
          const start = day.plus({ minutes: p.from })
          const end = day.plus({ minutes: p.to })
          if (t < end) return t > start ? t : start
        }
      }
      day = day.plus({ days: 1 }).startOf('day')
    }
    throw new Error('business calendar has no working time in the next ten years')
  }

  /** `at` plus `minutes` of working time. */
  function addWorkingMinutes(at: Date, minutes: number): Date {
    let t = nextWorkingMoment(local(at))
    let left = minutes
    for (let guard = 0; guard < 100000; guard++) {
      const day = t.startOf('day')
      const minuteOfDay = t.diff(day, 'minutes').minutes
      const period = periods.find((p) => minuteOfDay >= p.from && minuteOfDay < p.to)!
      const available = period.to - minuteOfDay
      if (left <= available) return t.plus({ minutes: left }).toJSDate()
      left -= available
      t = nextWorkingMoment(day.plus({ minutes: period.to }))
    }
    throw new Error('business calendar: duration too long')
  }

  return {
    definition,
    isWorkingDay: (at: Date) => isWorkingDay(local(at).startOf('day')),
    /** True when `at` falls inside working hours of a working day. */
    isWorkingTime: (at: Date) => +nextWorkingMoment(local(at)) === +local(at),
    /** Working minutes in one working day. */
    minutesPerDay,
    addWorkingMinutes,
    /** `at` plus `hours` working hours (counted from the next working moment when outside them). */
    addWorkingHours: (at: Date, hours: number) => addWorkingMinutes(at, Math.round(hours * 60)),
    /** `at` plus `days` working days, a working day being the calendar's working minutes per day. */
    addWorkingDays: (at: Date, days: number) => addWorkingMinutes(at, days * minutesPerDay),
    /**
     * The start of working hours on the `days`-th working day before the local date of `at`
     * ("contact the supplier 5 working days before the planned arrival").
     */
    workingDaysBefore(at: Date, days: number): Date {
      let day = local(at).startOf('day')
      for (let counted = 0; counted < days; ) {
        day = day.minus({ days: 1 })
        if (isWorkingDay(day)) counted++
      }
      return day.plus({ minutes: periods[0].from }).toJSDate()
    },
    /** The start of the local day `days` calendar days before `at` ("1 day before dispatch"). */
    daysBefore: (at: Date, days: number) => local(at).startOf('day').minus({ days }).toJSDate(),
    /** The end of working hours on the last working day of the month of `at` ("before month end"). */
    lastWorkingMomentOfMonth(at: Date): Date {
      let day = local(at).endOf('month').startOf('day')
      while (!isWorkingDay(day)) day = day.minus({ days: 1 })
      return day.plus({ minutes: periods[periods.length - 1].to }).toJSDate()
    },
    /** A plain ISO 8601 duration (PT30M, PT4H, P1D) added in real time. */
    addDuration: (at: Date, iso: string) => {
      const duration = Duration.fromISO(iso)
      if (!duration.isValid) throw new Error(`not an ISO 8601 duration: "${iso}"`)
      return local(at).plus(duration).toJSDate()
    },
  }
}
