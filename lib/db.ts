/**
 * The order database: connection, creation when missing, and migrations. A `postgres://` URL is
 * a PostgreSQL server; `pglite:<folder>` is the embedded PGlite database (PostgreSQL compiled to
 * WebAssembly, in-process, one connection) kept in that folder, the default when no server is set.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import knexFactory, { type Knex } from 'knex'
import ClientPGLite from 'knex-pglite'
import pg from 'pg'
import { projectRoot } from './config.ts'

// bigint (int8) columns come back as strings by default; ids and counts fit in a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value))

/** True for the embedded database, `pglite:<folder>`. */
export const isEmbedded = (databaseUrl: string) => databaseUrl.startsWith('pglite:')

/** The folder of an embedded database URL (relative paths from the project root). */
export function embeddedFolder(databaseUrl: string): string {
  return path.resolve(projectRoot, databaseUrl.slice('pglite:'.length) || 'data/pglite')
}

/** The PostgreSQL server scratch databases (tests, benchmarks) go to when DATABASE_URL is embedded. */
export const localServerUrl = 'postgres://postgres@127.0.0.1:5432/order_flow'

/**
 * The URL of database `name` on the server of `databaseUrl` (a scratch database for a test or
 * benchmark run); on the local PostgreSQL server when `databaseUrl` is the embedded database.
 */
export function scratchDatabaseUrl(databaseUrl: string, name: string): string {
  return Object.assign(new URL(isEmbedded(databaseUrl) ? localServerUrl : databaseUrl), { pathname: `/${name}` }).toString()
}

/**
 * Claims the embedded database folder for this process: PGlite must never be opened by two
 * processes at once (it would corrupt the data), so a second one stops with a clear message.
 */
function lockFolder(folder: string): void {
  const lock = path.join(folder, 'order-flow.pid')
  try {
    const holder = Number(readFileSync(lock, 'utf8'))
    if (holder && holder !== process.pid) {
      let alive = true
      try {
        process.kill(holder, 0)
      } catch {
        alive = false
      }
      if (alive) {
        throw new Error(`the embedded database in ${folder} is open in process ${holder}; one process at a time (set DATABASE_URL to a PostgreSQL server to run several)`)
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  writeFileSync(lock, String(process.pid))
  process.once('exit', () => rmSync(lock, { force: true }))
}

/**
 * A knex instance over the embedded PGlite database in `folder`. PGlite has one connection: a
 * query outside a running transaction waits for it, so code inside a transaction must use `trx`.
 */
function createEmbeddedDb(folder: string): Knex {
  // Two PGlite instances over one folder would each see only their own writes: share one knex.
  if (openFolders.has(folder)) throw new Error(`the embedded database in ${folder} is already open in this process; pass its knex instance on`)
  mkdirSync(folder, { recursive: true })
  lockFolder(folder)
  // The same int8-as-number parsing the pg driver gets below.
  const pglite = new PGlite(folder, { parsers: { [pg.types.builtins.INT8]: (value: string) => Number(value) } })
  const db = knexFactory({ client: ClientPGLite as unknown as typeof knexFactory.Client, connection: () => ({ pglite }) } as Knex.Config)
  openFolders.add(folder)
  const client = db.client as { destroy: (callback?: unknown) => Promise<void> }
  const destroy = client.destroy.bind(client)
  client.destroy = (callback?: unknown) => {
    openFolders.delete(folder)
    return destroy(callback)
  }
  return db
}

const openFolders = new Set<string>()

/** A knex instance over PostgreSQL (or the embedded PGlite) for `databaseUrl`. */
export function createDb(databaseUrl: string): Knex {
  if (isEmbedded(databaseUrl)) return createEmbeddedDb(embeddedFolder(databaseUrl))
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
  if (isEmbedded(databaseUrl)) {
    mkdirSync(embeddedFolder(databaseUrl), { recursive: true })
    return
  }
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
  if (isEmbedded(databaseUrl)) {
    rmSync(embeddedFolder(databaseUrl), { recursive: true, force: true })
    return
  }
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

/**
 * PostgreSQL down, restarting or out of reach: connection refused or dropped, the server shutting
 * down (57P01–57P03), or no free connection in time. Such a failure is the database's, not the request's.
 */
export function databaseUnreachable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  return ['ECONNREFUSED', 'ECONNRESET', '57P01', '57P02', '57P03'].includes(String(code)) ||
    /Connection terminated|Knex: Timeout acquiring a connection/.test(String(message))
}
