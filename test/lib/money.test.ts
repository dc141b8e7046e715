import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Ajv } from 'ajv'
import { addAmountKeyword, amountProblem, fromCents, money, sumCents, toCents, yuan } from '../../lib/money.ts'

test('two decimals are exact, as numbers and as text: 19.99, 0.07, 0.29', () => {
  assert.is(toCents(19.99), 1999)
  assert.is(toCents(0.07), 7)
  assert.is(toCents(0.29), 29)
  assert.is(toCents('260.35'), 26035)
  assert.is(toCents(' 12.5 '), 1250)
  assert.is(toCents(0), 0)
  assert.is(money(12.5), '12.50')
  assert.is(fromCents(2035), '20.35')
  assert.is(yuan(1999), 19.99)
})

test('sums are integer cents, never floats: 0.1 + 0.2 is 0.30', () => {
  assert.is(sumCents([0.1, 0.2]), 30)
  assert.is(sumCents(['19.99', 0.07, 0.29]), 2035)
  assert.is(fromCents(sumCents(['19.99', 0.07, 0.29])), '20.35')
})

test('three decimals and non-amounts are refused with a message that says why', () => {
  for (const bad of [0.125, '10.001', 0.1 + 0.2, 'abc', Number.NaN, Infinity, 1e21]) {
    assert.ok(amountProblem(bad), String(bad))
    assert.throws(() => toCents(bad as number), /at most two decimals|not an amount/, String(bad))
  }
  assert.is(amountProblem(0.125), 'must be an amount with at most two decimals (e.g. 19.99), got 0.125')
  assert.throws(() => fromCents(0.5), /not a whole number of cents/)
})

test('the x-amount keyword takes 19.99 where multipleOf 0.01 refuses it, and refuses 0.125', () => {
  const ajv = addAmountKeyword(new Ajv({ allErrors: true }))
  const withKeyword = ajv.compile({ type: 'number', minimum: 0, 'x-amount': true })
  const withMultipleOf = new Ajv().compile({ type: 'number', multipleOf: 0.01 })
  assert.not.ok(withMultipleOf(19.99), 'floating-point multipleOf refuses 19.99: why it is not used')
  for (const ok of [19.99, 0.07, 0.29, 260.35, 0]) assert.ok(withKeyword(ok), String(ok))
  assert.not.ok(withKeyword(0.125))
  assert.equal(withKeyword.errors?.map((e) => [e.keyword, e.message]), [['x-amount', 'must be an amount with at most two decimals (e.g. 19.99)']])
})

test.run()
