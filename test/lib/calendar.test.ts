import { mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createCalendar, loadCalendarDefinition, type CalendarDefinition } from '../../lib/calendar.ts'

// Working hours and due instants are the engine's (engine/src/test/java/.../BusinessCalendarTest.java
// proves them with the same dates); here only the day-level reading the reports use.
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

test('public holidays are days off and a make-up working day counts', () => {
  assert.is(calendar.isWorkingDay(at('2026-10-01T10:00:00')), false)
  assert.is(calendar.isWorkingDay(at('2026-10-10T10:00:00')), true, 'Saturday make-up day')
  assert.is(calendar.isWorkingDay(at('2026-10-11T10:00:00')), false, 'the Sunday after it')
  assert.is(calendar.isWorkingDay(at('2026-10-08T10:00:00')), true)
})

test('time zone: the day is the Shanghai date of the instant', () => {
  // Friday 9 October 23:30 UTC is Saturday 10 October 07:30 in Shanghai: a make-up working day.
  assert.ok(calendar.isWorkingDay(new Date('2026-10-09T23:30:00Z')))
  const utc = createCalendar({ ...definition, timeZone: 'UTC' })
  assert.ok(utc.isWorkingDay(new Date('2026-10-09T23:30:00Z')), 'Friday in UTC')
  // 17:00 UTC on Saturday 10 October (a make-up working day) is 01:00 on Sunday 11 October in Shanghai.
  assert.not.ok(calendar.isWorkingDay(new Date('2026-10-10T17:00:00Z')), 'Sunday 11 October in Shanghai')
  assert.ok(utc.isWorkingDay(new Date('2026-10-10T17:00:00Z')), 'still the make-up Saturday in UTC')
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
