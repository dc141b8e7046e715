/**
 * What the repositories share: money as exact decimal strings (lib/money.ts), calendar dates as YYYY-MM-DD,
 * and the insert-or-get that makes a redelivered job find the row its first delivery wrote.
 */
import type { Knex } from 'knex'

export { fromCents, money, toCents, type Money } from '../money.ts'

/** A calendar date, YYYY-MM-DD. */
export type CalendarDate = string

/**
 * A `date` column as YYYY-MM-DD. node-postgres turns dates into a Date at local midnight, so
 * the local calendar fields give the stored date back whatever the process time zone is.
 */
export function calendarDate(value: Date | string | null | undefined): CalendarDate | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') return value.slice(0, 10)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${value.getFullYear()}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`
}

/** Returns a row mapper turning the named `date` columns into YYYY-MM-DD strings. */
export function withCalendarDates<Row>(...columns: string[]) {
  return (row: Record<string, unknown>): Row => {
    const mapped: Record<string, unknown> = { ...row }
    for (const column of columns) if (column in mapped) mapped[column] = calendarDate(mapped[column] as Date | null)
    return mapped as Row
  }
}

/** Serialises JSON values for jsonb columns (knex would send a JS array as a PostgreSQL array). */
export function jsonColumns<T extends object>(values: T, columns: ReadonlyArray<keyof T & string>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(values as Record<string, unknown>) }
  for (const column of columns) if (out[column] !== undefined && out[column] !== null) out[column] = JSON.stringify(out[column])
  return out
}

/** A row written by insert-or-get, and whether this call wrote it. */
export interface InsertOrGet<Row> {
  row: Row
  /** false when the key was already taken: `row` is the earlier row, unchanged. */
  created: boolean
}

/**
 * Inserts `values` unless a row with the same `key` columns exists, and returns the row either
 * way. A concurrent insert of the same key waits for the other transaction: if it commits, the
 * earlier row is returned; the loser never overwrites it.
 */
export async function insertOrGet<Row>(
  trx: Knex,
  table: string,
  values: Record<string, unknown>,
  key: readonly string[],
): Promise<InsertOrGet<Row>> {
  const [inserted] = await trx(table).insert(values).onConflict([...key]).ignore().returning('*')
  if (inserted) return { row: inserted as Row, created: true }
  const where = Object.fromEntries(key.map((column) => [column, values[column]]))
  const existing = await trx(table).where(where).first()
  if (!existing) throw new Error(`${table}: no row for ${JSON.stringify(where)} although the insert conflicted`)
  return { row: existing as Row, created: false }
}
