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

test('a make-up Saturday counts hour by hour; the Sunday after it does not', () => {
  assert.is(shanghai(calendar.addWorkingHours(at('2026-10-09T17:00:00'), 2)), '2026-10-10 10:00')
  assert.is(shanghai(calendar.addWorkingHours(at('2026-10-10T17:00:00'), 1)), '2026-10-12 09:00')
  assert.ok(calendar.isWorkingTime(at('2026-10-10T09:00:00')))
  assert.not.ok(calendar.isWorkingTime(at('2026-10-11T09:00:00')))
})

test('the project calendar: 2026 public holidays of China and their make-up working days', () => {
  const project = createCalendar(loadCalendarDefinition())
  const working = (date: string) => project.isWorkingDay(at(`${date}T10:00:00`))
  // 春节: off 15–23 February, Saturdays 14 and 28 February worked.
  assert.equal(['2026-02-13', '2026-02-14', '2026-02-16', '2026-02-23', '2026-02-24', '2026-02-28'].map(working), [true, true, false, false, true, true])
  // 元旦 1–3 January with Sunday 4 January worked; 国庆 1–7 October with 20 September and 10 October worked.
  assert.equal(['2026-01-02', '2026-01-04', '2026-09-20', '2026-10-05', '2026-10-08', '2026-10-10'].map(working), [false, true, true, false, true, true])
  // 清明 4–6 April, 劳动节 1–5 May (9 May worked), 端午 19 June, 中秋 25 September.
  assert.equal(['2026-04-06', '2026-05-05', '2026-05-09', '2026-06-19', '2026-09-25'].map(working), [false, false, true, false, false])
  assert.match(project.definition.notes ?? '', /not checked against the published text/)
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
