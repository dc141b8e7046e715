/**
 * Money, exactly: amounts are computed in integer cents (fen), never in floating point. An amount
 * arrives as a JSON number of yuan (19.99) or a decimal string ("19.99", what PostgreSQL returns
 * for numeric(12,2)); either has at most two decimals. A number is read through its shortest
 * decimal form (`String(19.99) === "19.99"`), so 19.99, 0.07 and 0.29 are exact and 0.125 is
 * refused, where `multipleOf: 0.01` (a floating-point division) refuses 19.99.
 */
import type { Ajv } from 'ajv'

/** A numeric(12,2) amount as PostgreSQL returns it: a decimal string such as "1234.50". */
export type Money = string

/** Why a value is not an amount of at most two decimals; null when it is one. */
export function amountProblem(amount: unknown): string | null {
  if (typeof amount === 'number' && !Number.isFinite(amount)) return `not an amount: ${amount}`
  if (typeof amount !== 'number' && typeof amount !== 'string') return `not an amount: ${JSON.stringify(amount)}`
  return /^\s*-?\d+(\.\d{1,2})?\s*$/.test(String(amount)) ? null : `must be an amount with at most two decimals (e.g. 19.99), got ${String(amount)}`
}

/** An amount in integer cents from a Money string or a number of yuan; more than two decimals throw. */
export function toCents(amount: Money | number): number {
  const problem = amountProblem(amount)
  if (problem) throw new Error(problem)
  const [, sign, whole, fraction = ''] = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(String(amount).trim())!
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'))
  return sign && cents !== 0 ? -cents : cents
}

/** Integer cents as a Money string with two decimals. */
export function fromCents(cents: number): Money {
  if (!Number.isInteger(cents)) throw new Error(`not a whole number of cents: ${cents}`)
  const sign = cents < 0 ? '-' : ''
  const abs = Math.abs(cents)
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

/** Normalises an amount (string or number of yuan) to a Money string: money(12.5) === "12.50". */
export const money = (amount: Money | number): Money => fromCents(toCents(amount))

/** Integer cents as a JSON number of yuan (for process variables and API answers): 1999 → 19.99. */
export const yuan = (cents: number): number => Number(fromCents(cents))

/** Sum of amounts, in cents. */
export const sumCents = (amounts: Iterable<Money | number>): number => {
  let total = 0
  for (const amount of amounts) total += toCents(amount)
  return total
}

/**
 * JSON-schema keyword `x-amount: true`: the value (number or string) has at most two decimals.
 * Its error reads `must be an amount with at most two decimals (e.g. 19.99), got 0.125`.
 * Both ajv instances (the API's and the workers') add it; OpenAPI shows it as an extension.
 */
export const amountKeyword = 'x-amount'

export function addAmountKeyword(ajv: Ajv): Ajv {
  return ajv.addKeyword({
    keyword: amountKeyword,
    schemaType: 'boolean',
    errors: true,
    validate: function validate(enabled: boolean, data: unknown) {
      if (!enabled || (typeof data !== 'number' && typeof data !== 'string')) return true
      const problem = amountProblem(data)
      const self = validate as typeof validate & { errors?: unknown[] }
      self.errors = problem ? [{ keyword: amountKeyword, message: problem.replace(/, got .*$/, ''), params: {} }] : []
      return !problem
    },
  })
}
