/**
 * What the migration suites share: the migrations folder as knex reads it, a database of the
 * suite's own (created before its tests, dropped after) and the tables the migrations made.
 */
import path from 'node:path'
import type { Knex } from 'knex'
import type { Test } from 'uvu'
import { loadConfig, projectRoot } from '../../lib/config.ts'
import { createDb, databaseName, dropDatabase, ensureDatabase, scratchDatabaseUrl } from '../../lib/db.ts'

export const migrations = { directory: path.join(projectRoot, 'migrations'), loadExtensions: ['.ts'] }

/** A database of this run on the tests' PostgreSQL server, named after theirs and `tag`. */
export function scratchUrl(tag: string): string {
  const base = loadConfig().DATABASE_URL
  return scratchDatabaseUrl(base, `${databaseName(base)}_${tag}_${process.pid}_${Date.now() % 100000}`.slice(0, 63))
}

/** Creates the database at `url` before the suite's tests (handing its connection to `use`) and drops it after them. */
export function scratchDatabase(suite: Test, url: string, use: (db: Knex) => void): void {
  let db: Knex | undefined
  suite.before(async () => {
    await ensureDatabase(url)
    db = createDb(url)
    use(db)
  })
  suite.after(async () => {
    await db?.destroy()
    await dropDatabase(url)
  })
}

/** The tables of the public schema, knex's own left out, sorted. */
export async function ownTables(db: Knex): Promise<string[]> {
  return (await db('pg_tables').where({ schemaname: 'public' }).whereNot('tablename', 'like', 'knex\\_%').pluck('tablename')).sort()
}
