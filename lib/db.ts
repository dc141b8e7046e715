/** The order database: connection, creation when missing, and migrations. */
import path from 'node:path'
import knexFactory, { type Knex } from 'knex'
import pg from 'pg'
import { projectRoot } from './config.ts'

// bigint (int8) columns come back as strings by default; ids and counts fit in a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value))

/** A knex instance over PostgreSQL for `databaseUrl`. */
export function createDb(databaseUrl: string): Knex {
  return knexFactory({
    client: 'pg',
    connection: databaseUrl,
    pool: { min: 0, max: 10 },
    acquireConnectionTimeout: 10000,
  })
}

/** Database name in a PostgreSQL URL. */
export function databaseName(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1))
  if (!name) throw new Error(`DATABASE_URL names no database: ${databaseUrl}`)
  return name
}

function maintenanceUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl)
  url.pathname = '/postgres'
  return url.toString()
}

/** Creates the database of `databaseUrl` when it does not exist yet. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const name = databaseName(databaseUrl)
  const admin = createDb(maintenanceUrl(databaseUrl))
  try {
    const found = await admin('pg_database').where({ datname: name }).first()
    if (!found) await admin.raw('create database ??', [name])
  } catch (error) {
    throw new Error(`PostgreSQL at ${new URL(databaseUrl).host} is not usable: ${(error as Error).message}`)
  } finally {
    await admin.destroy()
  }
}

/** Drops the database of `databaseUrl` (tests only). */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const admin = createDb(maintenanceUrl(databaseUrl))
  try {
    await admin.raw('drop database if exists ?? with (force)', [databaseName(databaseUrl)])
  } finally {
    await admin.destroy()
  }
}

/** Runs every pending migration in `migrations/`; returns the names it ran. */
export async function migrateLatest(db: Knex): Promise<string[]> {
  const [, ran] = await db.migrate.latest({
    directory: path.join(projectRoot, 'migrations'),
    loadExtensions: ['.ts'],
  })
  return ran as string[]
}
