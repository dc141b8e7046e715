/**
 * The engine set-ups the benchmark compares, each started by the benchmark itself and stopped
 * after its phases: H2 on one node, PostgreSQL on one node, PostgreSQL on two nodes. They run on
 * ENGINE_URL's port + 100 (and + 101), with a data folder of their own under
 * `<DATA_DIR>/bench/engine-<name>` and, on PostgreSQL, a database of their own (created and
 * dropped), so a running engine — yours or the tests' — is never touched. `current` is the engine
 * already running at ENGINE_URL, as it is (what the test of the benchmark uses).
 */
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { dataDir, engineNodeUrls, loadConfig, type Config } from '../../lib/config.ts'
import { dropDatabase, scratchDatabaseUrl } from '../../lib/db.ts'
import { clusterStatus, engineReady, startEngine, stopEngine } from '../../lib/engine.ts'

export const setupNames = ['h2', 'pg', 'pg2', 'current'] as const
export type SetupName = (typeof setupNames)[number]

export interface EngineSetup {
  name: SetupName
  /** As the tables show it, e.g. "PostgreSQL, 2 nodes". */
  label: string
  database: 'H2' | 'PostgreSQL'
  nodes: number
  config: Config
  /** Whether the benchmark starts (and stops) this engine. */
  own: boolean
}

/** Parses `--engines` (comma-separated names), refusing unknown and repeated ones. */
export function parseSetups(text: string): SetupName[] {
  const names = text.split(',').map((name) => name.trim()).filter(Boolean)
  const unknown = names.filter((name) => !(setupNames as readonly string[]).includes(name))
  if (unknown.length || !names.length) throw new Error(`bench: --engines expects a comma-separated list of ${setupNames.join(', ')}; got "${text}"`)
  if (new Set(names).size !== names.length) throw new Error(`bench: --engines names an engine twice: "${text}"`)
  return names as SetupName[]
}

const label = (database: EngineSetup['database'], nodes: number) => `${database}, ${nodes} node${nodes === 1 ? '' : 's'}`

/** The configuration of each set-up, from the base configuration (its DATABASE_URL is the benchmark's order database). */
export function engineSetup(base: Config, name: SetupName, runId: string): EngineSetup {
  if (name === 'current') {
    const database = base.ENGINE_DATABASE_URL.startsWith('h2:') ? 'H2' : 'PostgreSQL'
    return { name, label: `${label(database, base.ENGINE_NODES)} (running at ${base.ENGINE_URL})`, database, nodes: base.ENGINE_NODES, config: base, own: false }
  }
  const url = new URL(base.ENGINE_URL)
  url.port = String(Number(url.port || 80) + 100)
  const database = name === 'h2' ? 'H2' : 'PostgreSQL'
  const nodes = name === 'pg2' ? 2 : 1
  let engineDatabaseUrl = 'h2:engine/h2/bench'
  if (database === 'PostgreSQL') {
    // The server of the engine's own database when it has one, else that of the order database (the local one when embedded).
    const server = base.ENGINE_DATABASE_URL.startsWith('postgres') ? base.ENGINE_DATABASE_URL : base.DATABASE_URL
    engineDatabaseUrl = scratchDatabaseUrl(server, `order_flow_bench_engine_${runId}_${name}`)
  }
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: base.DATABASE_URL,
    ENGINE_URL: url.toString().replace(/\/$/, ''),
    ENGINE_NODES: String(nodes),
    ENGINE_DATABASE_URL: engineDatabaseUrl,
    DATA_DIR: path.join(dataDir(base), 'bench', `engine-${name}`),
  })
  return { name, label: label(database, nodes), database, nodes, config, own: true }
}

/** Refuses to start over an engine already answering where a set-up's engine would run (it is not ours to stop). */
export async function refuseOccupied(setup: EngineSetup): Promise<void> {
  if (!setup.own) {
    if (!(await engineReady(setup.config))) throw new Error(`bench: --engines current: the engine does not answer at ${setup.config.ENGINE_URL} (npm run engine -- start)`)
    return
  }
  for (const [i, url] of engineNodeUrls(setup.config).entries()) {
    if (await engineReady(setup.config, i + 1)) {
      throw new Error(
        `bench: an engine already answers at ${url}, where the benchmark starts its ${setup.label} engine (ENGINE_URL's port + 100); stop it (one a benchmark left: ENGINE_URL=${setup.config.ENGINE_URL} ENGINE_NODES=${setup.nodes} DATA_DIR=${dataDir(setup.config)} npm run engine -- stop) or choose another ENGINE_URL`,
      )
    }
  }
}

/** Starts a set-up's engine (every node, after `refuseOccupied`); the milliseconds it took, null for `current`. */
export async function startSetup(setup: EngineSetup, say: (line: string) => void): Promise<number | null> {
  if (!setup.own) return null
  const started = Date.now()
  await startEngine(setup.config, (line) => say(`${setup.name}: ${line}`))
  return Date.now() - started
}

/** Stops a set-up's engine and removes its database and data folder (kept, with its logs, when `keep`). */
export async function stopSetup(setup: EngineSetup, say: (line: string) => void, keep = false): Promise<void> {
  if (!setup.own) return
  await stopEngine(setup.config, (line) => say(`${setup.name}: ${line}`))
  if (keep) {
    say(`${setup.name}: kept for a look: its data folder (logs) ${dataDir(setup.config)}${setup.database === 'PostgreSQL' ? ` and its database ${setup.config.ENGINE_DATABASE_URL}` : ''}`)
    return
  }
  if (setup.database === 'PostgreSQL') await dropDatabase(setup.config.ENGINE_DATABASE_URL).catch((error) => say(`${setup.name}: could not drop its engine database: ${error}`))
  await rm(dataDir(setup.config), { recursive: true, force: true })
}

/** The process id of every node (undefined where no pid file says it). */
export const enginePids = async (setup: EngineSetup) => (await clusterStatus(setup.config)).map((status) => status.pid)

