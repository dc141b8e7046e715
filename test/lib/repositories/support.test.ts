import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { calendarDate, fromCents, money, toCents } from '../../../lib/repositories/support.ts'

test('money stays exact: strings in, strings out, arithmetic in cents', () => {
  assert.is(toCents('1234.50'), 123450)
  assert.is(toCents('0.1'), 10)
  assert.is(toCents(19.99), 1999)
  assert.is(fromCents(toCents('0.10') + toCents('0.20')), '0.30')
  assert.is(fromCents(-5), '-0.05')
  assert.is(money(12.5), '12.50')
  // A float that is no amount of two decimals (a sum computed in floats, a third decimal) is refused, not rounded.
  assert.throws(() => toCents(0.1 + 0.2), /at most two decimals/)
  assert.throws(() => toCents(1.005), /at most two decimals/)
  assert.throws(() => toCents('12.345'), /at most two decimals/)
  assert.throws(() => toCents('abc'), /at most two decimals/)
})

test('a date column reads back as the stored calendar date', () => {
  assert.is(calendarDate(new Date(2026, 11, 3)), '2026-12-03')
  assert.is(calendarDate('2026-12-03'), '2026-12-03')
  assert.is(calendarDate(null), null)
})

test.run()
