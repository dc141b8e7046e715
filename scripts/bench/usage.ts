/**
 * What a phase costs: CPU seconds of the engine nodes (from /proc/<pid>/stat), of this process
 * (the workers and the driver) and of the PostgreSQL backends serving the benchmark's databases,
 * and the rows and bytes a phase adds to a PostgreSQL database.
 */
import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import type { Knex } from 'knex'

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ; 100 on Linux). */
const ticksPerS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** User + system CPU seconds a process has used, or undefined when it is gone or not ours to read. */
export async function cpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / ticksPerS
  } catch {
    return undefined
  }
}

/** The server processes (backends) connected to these databases, by pg_stat_activity. */
async function backendPids(db: Knex, databases: string[]): Promise<number[]> {
  const rows = (await db.raw('select pid from pg_stat_activity where datname = any(?)', [databases])).rows as { pid: number }[]
  return rows.map((row) => row.pid)
}

export interface CpuFigures {
  /** Per engine node; null where its process is not readable here (an engine started elsewhere). */
  engineNodesS: (number | null)[]
  /** This process: the workers and the driver. */
  workersS: number
  /** PostgreSQL backends serving the benchmark's databases (order database and, on PostgreSQL, the engine's). */
  postgresS: number | null
}

/**
 * Starts counting CPU for `enginePids` (undefined: unknown), this process and the PostgreSQL
 * backends of `databases`. A backend that ends before `stop` loses what it used: the connection
 * pools of the engine, the workers and the driver keep theirs open through a phase.
 */
export async function startCpu(db: Knex, enginePids: (number | undefined)[], databases: string[]) {
  const engineAtStart = await Promise.all(enginePids.map((pid) => (pid ? cpuSeconds(pid) : undefined)))
  const ownAtStart = process.cpuUsage()
  const backends = new Map<number, number>()
  const readable = async () => {
    for (const pid of await backendPids(db, databases).catch(() => [])) if (!backends.has(pid)) backends.set(pid, (await cpuSeconds(pid)) ?? NaN)
  }
  await readable()
  return {
    /** Backends opened during the phase count from 0; call now and then to notice them. */
    notice: readable,
    async stop(): Promise<CpuFigures> {
      const own = process.cpuUsage(ownAtStart)
      const engineNodesS = await Promise.all(
        enginePids.map(async (pid, i) => {
          const end = pid ? await cpuSeconds(pid) : undefined
          const start = engineAtStart[i]
          return end === undefined || start === undefined ? null : end - start
        }),
      )
      let postgresS = 0
      let seen = 0
      for (const pid of await backendPids(db, databases).catch(() => [])) {
        const end = await cpuSeconds(pid)
        if (end === undefined) continue
        const start = backends.get(pid)
        if (start !== undefined && Number.isNaN(start)) continue
        postgresS += end - (start ?? 0)
        seen++
      }
      return { engineNodesS, workersS: (own.user + own.system) / 1e6, postgresS: seen ? postgresS : null }
    },
  }
}

export interface Footprint {
  rows: number
  bytes: number
  /** Rows by table (lower-case name), only the tables that have any. */
  tables: Record<string, number>
  /** Bytes by table (with its indexes and TOAST), the same tables. */
  tableBytes: Record<string, number>
}

/**
 * Exact row counts and total size (table, indexes and TOAST) of the tables whose name matches
 * `like` in the public schema of the database `db` is connected to.
 */
export async function footprint(db: Knex, like = '%'): Promise<Footprint> {
  const tables = (await db.raw("select tablename from pg_tables where schemaname = 'public' and tablename like ? order by tablename", [like])).rows as { tablename: string }[]
  const out: Footprint = { rows: 0, bytes: 0, tables: {}, tableBytes: {} }
  if (!tables.length) return out
  const counts = tables.map((t) => `select '${t.tablename}' as name, count(*)::bigint as rows, pg_total_relation_size('public."${t.tablename}"') as bytes from public."${t.tablename}"`)
  const rows = (await db.raw(counts.join(' union all '))).rows as { name: string; rows: string; bytes: string }[]
  for (const row of rows) {
    out.rows += Number(row.rows)
    out.bytes += Number(row.bytes)
    if (!Number(row.rows)) continue
    out.tables[row.name.toLowerCase()] = Number(row.rows)
    out.tableBytes[row.name.toLowerCase()] = Number(row.bytes)
  }
  return out
}

/** What `after` holds more than `before`, per unit (e.g. per order). */
export function perUnit(before: Footprint, after: Footprint, units: number): Footprint {
  const tables: Record<string, number> = {}
  const tableBytes: Record<string, number> = {}
  for (const name of new Set([...Object.keys(before.tables), ...Object.keys(after.tables)])) {
    const added = (after.tables[name] ?? 0) - (before.tables[name] ?? 0)
    if (!added) continue
    tables[name] = added / units
    tableBytes[name] = ((after.tableBytes[name] ?? 0) - (before.tableBytes[name] ?? 0)) / units
  }
  return { rows: (after.rows - before.rows) / units, bytes: (after.bytes - before.bytes) / units, tables, tableBytes }
}
