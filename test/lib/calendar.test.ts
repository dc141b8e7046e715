import { mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createCalendar, loadCalendarDefinition, type CalendarDefinition } from '../../lib/calendar.ts'

const definition: CalendarDefinition = {
  timeZone: 'Asia/Shanghai',
  workingWeekdays: [1, 2, 3, 4, 5],
  workingHours: [
    { from: '08:30', to: '12:00' },
    { from: '13:30', to: '17:30' },
  ],
  holidays: ['2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07'],
  makeUpWorkingDays: ['2026-10-10'],
}
const calendar = createCalendar(definition)
/** A Shanghai local time as an instant. */
const at = (local: string) => new Date(`${local}+08:00`)
const shanghai = (d: Date) =>
  new Date(d.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 16).replace('T', ' ')

test('working hours inside one period and across lunch', () => {
  assert.is(shanghai(calendar.addWorkingHours(at('2026-11-24T09:00:00'), 2)), '2026-11-24 11:00')
  assert.is(shanghai(calendar.addWorkingHours(at('2026-11-24T11:00:00'), 2)), '2026-11-24 14:30')
})

test('two working hours on a Friday at 17:00 end on Monday morning', () => {
  assert.is(shanghai(calendar.addWorkingHours(at('2026-11-27T17:00:00'), 2)), '2026-11-30 10:00')
})

test('a duration starting outside working hours counts from the next working moment', () => {
  assert.is(shanghai(calendar.addWorkingHours(at('2026-11-24T06:15:00'), 1)), '2026-11-24 09:30')
  assert.is(shanghai(calendar.addWorkingHours(at('2026-11-24T12:30:00'), 1)), '2026-11-24 14:30')
  assert.is(shanghai(calendar.addWorkingHours(at('2026-11-28T10:00:00'), 1)), '2026-11-30 09:30')
})

test('crossing midnight: an evening start counts from the next morning', () => {
  assert.is(shanghai(calendar.addWorkingHours(at('2026-11-24T23:30:00'), 4)), '2026-11-25 14:00')
})

test('one working day is the same clock time on the next working day', () => {
  assert.is(shanghai(calendar.addWorkingDays(at('2026-11-24T10:00:00'), 1)), '2026-11-25 10:00')
  assert.is(shanghai(calendar.addWorkingDays(at('2026-11-27T17:00:00'), 1)), '2026-11-30 17:00')
})

test('public holidays are skipped and a make-up working day counts', () => {
  assert.is(calendar.isWorkingDay(at('2026-10-01T10:00:00')), false)
  assert.is(calendar.isWorkingDay(at('2026-10-10T10:00:00')), true, 'Saturday make-up day')
  // From Wednesday 30 September: 1–2 October are holidays, 3–4 a weekend, 5–7 holidays again.
  assert.is(shanghai(calendar.addWorkingDays(at('2026-09-30T15:00:00'), 1)), '2026-10-08 15:00')
  assert.is(shanghai(calendar.addWorkingDays(at('2026-10-09T15:00:00'), 1)), '2026-10-10 15:00')
})

test('N working days before a date, and N calendar days before', () => {
  assert.is(shanghai(calendar.workingDaysBefore(at('2026-10-12T00:00:00'), 5)), '2026-09-29 08:30')
  assert.is(shanghai(calendar.daysBefore(at('2026-12-10T15:00:00'), 1)), '2026-12-09 00:00')
})

test('month end is the close of the last working day of the month', () => {
  assert.is(shanghai(calendar.lastWorkingMomentOfMonth(at('2026-10-15T10:00:00'))), '2026-10-30 17:30')
  assert.is(shanghai(calendar.lastWorkingMomentOfMonth(at('2026-11-02T10:00:00'))), '2026-11-30 17:30')
})

test('time zone: the same instant is judged by Shanghai working hours', () => {
  // 01:00 UTC is 09:00 in Shanghai: working time there.
  assert.ok(calendar.isWorkingTime(new Date('2026-11-24T01:00:00Z')))
  const utc = createCalendar({ ...definition, timeZone: 'UTC' })
  assert.not.ok(utc.isWorkingTime(new Date('2026-11-24T01:00:00Z')))
})

test('plain ISO durations stay real time', () => {
  assert.is(shanghai(calendar.addDuration(at('2026-11-27T17:00:00'), 'PT4H')), '2026-11-27 21:00')
  assert.throws(() => calendar.addDuration(new Date(), '4 hours'), /not an ISO 8601 duration/)
})

test('the project calendar file is valid, and a broken one is named with its field', async () => {
  assert.is(loadCalendarDefinition().timeZone, 'Asia/Shanghai')
  const dir = await mkdtemp(path.join(os.tmpdir(), 'calendar-'))
  const file = path.join(dir, 'business-calendar.json')
  await writeFile(file, JSON.stringify({ ...definition, workingHours: [{ from: '8:30', to: '12:00' }] }))
  assert.throws(() => loadCalendarDefinition(file), /workingHours\/0\/from must match pattern/)
  assert.throws(() => createCalendar({ ...definition, timeZone: 'Mars/Olympus' }), /unknown time zone "Mars\/Olympus"/)
})

test.run()
