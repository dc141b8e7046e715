/**
 * npm run chaos [-- --orders 100 --concurrency 20 --kills 20 --kill-every 10 --engine-restarts 2
 *                  --postgres-outage 30 --nodes 2 --node-kills 1 --first-fault 40 --fault-gap 50
 *                  --drive 1500 --recovery 300 --outage auto|server|proxy --seed 1 --out FILE]
 *
 * Runs the orders of scripts/chaos/scenarios.ts through the API, the engine and the real workers
 * while faults are injected — the workers process SIGKILLed at random moments and right after a
 * side effect, the engine stopped and started (once gracefully, then killed), with `--nodes 2` one
 * node of the cluster SIGKILLed and started again while the other carries on, PostgreSQL stopped
 * (`--outage server`: the local server itself, as root; `proxy`: every order-database connection
 * of this run cut at a loopback proxy, disturbing nobody else; `auto`: server when it may), every
 * event sent twice and once more after its lifetime — then retries the incidents left as an
 * operator does in Cockpit and checks that nothing was lost and nothing done twice
 * (scripts/chaos/verify.ts). Loopback only: the outside services are
 * served by scripts/chaos/outside.ts. A cluster run needs the engine on PostgreSQL; the nodes that
 * were not running are started for the run and stopped after it. Uses a database of its own (dropped afterwards). Bounded:
 * the drive stops after --drive seconds and the recovery after --recovery seconds. Prints a
 * markdown report, writes JSON to data/chaos/<time>.json and exits 1 when a check fails.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildApi } from '../api/server.ts'
import { createApiEngine } from '../api/engine.ts'
import { loadConfig, projectRoot } from '../lib/config.ts'
import { createDb, dropDatabase, ensureDatabase, migrateLatest, scratchDatabaseUrl } from '../lib/db.ts'
import { deployAll } from '../lib/deploy.ts'
import { engineReady, restartEngine, startNode, stopEngine } from '../lib/engine.ts'
import { createEngineRest, engineCredentials } from '../lib/engine-rest.ts'
import { ensureIdentity } from '../lib/identity.ts'
import { setLogLevel, type Level } from '../lib/log.ts'
import { seedDemoCatalogue } from '../lib/seed.ts'
import { tcpProxy } from '../lib/tcp-proxy.ts'
import type { OpenIncident } from './bench/history.ts'
import { createDriver } from './chaos/driver.ts'
import { databaseOutage, superviseWorkers } from './chaos/faults.ts'
import { startOutsideServices } from './chaos/outside.ts'
import { verify, type Check } from './chaos/verify.ts'

const { values: args } = parseArgs({
  options: {
    orders: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '20' },
    kills: { type: 'string', default: '20' },
    'kill-every': { type: 'string', default: '10' },
    'engine-restarts': { type: 'string', default: '2' },
    'postgres-outage': { type: 'string', default: '30' },
    nodes: { type: 'string' },
    'node-kills': { type: 'string' },
    'first-fault': { type: 'string', default: '40' },
    'fault-gap': { type: 'string', default: '50' },
    drive: { type: 'string', default: '1500' },
    recovery: { type: 'string', default: '300' },
    outage: { type: 'string', default: 'auto' },
    seed: { type: 'string', default: String(Date.now() % 100000) },
    out: { type: 'string' },
  },
})
const base = loadConfig()
const int = (name: keyof typeof args, min = 0): number => {
  const value = Number(args[name])
  if (!Number.isInteger(value) || value < min) throw new Error(`chaos: --${name} expects an integer ≥ ${min}, got "${args[name]}"`)
  return value
}
const settings = {
  orders: int('orders', 1),
  concurrency: int('concurrency', 1),
  kills: int('kills'),
  killEveryS: int('kill-every', 1),
  engineRestarts: int('engine-restarts'),
  postgresOutageS: int('postgres-outage'),
  nodes: args.nodes === undefined ? base.ENGINE_NODES : int('nodes', 1),
  nodeKills: args['node-kills'] === undefined ? 0 : int('node-kills'),
  firstFaultS: int('first-fault'),
  faultGapS: int('fault-gap'),
  driveS: int('drive', 10),
  recoveryS: int('recovery', 10),
  seed: int('seed'),
  outage: args.outage as 'auto' | 'server' | 'proxy',
}
if (!['auto', 'server', 'proxy'].includes(settings.outage)) throw new Error(`chaos: --outage expects auto, server or proxy, got "${settings.outage}"`)

/** mulberry32: the run's random moments, repeatable from --seed. */
let seedState = settings.seed
const random = () => {
  seedState = (seedState + 0x6d2b79f5) | 0
  let t = seedState
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

if (settings.nodeKills && settings.nodes < 2) throw new Error('chaos: --node-kills needs a cluster: --nodes 2 or more (ENGINE_NODES)')

const started = new Date()
const runId = started.toISOString().replace(/\D/g, '').slice(2, 14)
const databaseUrl = scratchDatabaseUrl(base.DATABASE_URL, `order_flow_chaos_${runId}`)
setLogLevel((process.env.LOG_LEVEL as Level | undefined) ?? 'warn')
const t0 = Date.now()
const say = (line: string) => process.stderr.write(`[chaos ${String(Math.round((Date.now() - t0) / 1000)).padStart(4)} s] ${line}\n`)
// knex reports each connection the outage refused on stdout; the report there is the run's.
const consoleLog = console.log.bind(console)
console.log = (...parts: unknown[]) => {
  if (/^(Acquire connection error|Connection Error)/.test(String(parts[0]))) return
  consoleLog(...parts)
}
process.on('unhandledRejection', (error) => say(`unhandled: ${String(error).slice(0, 200)}`))

const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, ENGINE_NODES: String(settings.nodes) })
if (!(await engineReady(config))) throw new Error(`chaos: the engine does not answer at ${config.ENGINE_URL} (npm run engine -- start)`)
/** Nodes of the cluster this run started (and stops at its end). */
const ownNodes: number[] = []
for (let node = 2; node <= settings.nodes; node++) {
  if (await engineReady(config, node)) continue
  await startNode(config, node, say)
  ownNodes.push(node)
}
await ensureDatabase(databaseUrl)
const direct = createDb(databaseUrl)
const dbUrl = new URL(databaseUrl)
const proxy = await tcpProxy({ host: dbUrl.hostname, port: Number(dbUrl.port || 5432) })
const proxiedUrl = Object.assign(new URL(databaseUrl), { hostname: '127.0.0.1', port: String(proxy.port) }).toString()
const db = createDb(proxiedUrl)
const outside = await startOutsideServices({ secret: `chaos-${runId}`, failEvery: 23 })
const rest = createEngineRest(config)
// The API talks to the node that is killed first (the last one), so it must move on to another.
const apiEngine = createApiEngine(config, createEngineRest(config, engineCredentials(config, 'api'), { prefer: settings.nodes }))
const app = await buildApi({ config: { ...config, DATABASE_URL: proxiedUrl }, db, engine: apiEngine })
const workers = { current: undefined as ReturnType<typeof superviseWorkers> | undefined }
const faults: { at: number; what: string; tookMs: number }[] = []
const resolved: { id: string; elementId: string; errorType: string; errorMessage: string }[] = []
let exitCode = 0

async function timed(what: string, work: () => Promise<unknown>) {
  const at = Date.now()
  const result = await work()
  faults.push({ at: Math.round((at - t0) / 1000), what: typeof result === 'string' ? `${what}: ${result}` : what, tookMs: Date.now() - at })
}

/** The node kills, the engine restarts and the database outage, one after another, `faultGapS` apart. */
async function faultSequence(stopped: () => boolean) {
  const plan: (() => Promise<void>)[] = []
  for (let i = 0; i < settings.engineRestarts; i++) {
    const hard = i % 2 === 1
    plan.push(() => timed(`engine ${hard ? 'killed (SIGKILL)' : 'stopped (SIGTERM)'} and started again`, () => restartEngine(config, { hard }, say)))
    if (i === 0 && settings.postgresOutageS) plan.push(() => timed(`PostgreSQL away for ${settings.postgresOutageS} s`, () => databaseOutage(settings.postgresOutageS, proxy, say, settings.outage)))
  }
  if (settings.engineRestarts === 0 && settings.postgresOutageS) plan.push(() => timed(`PostgreSQL away for ${settings.postgresOutageS} s`, () => databaseOutage(settings.postgresOutageS, proxy, say, settings.outage)))
  // First, while the orders run: the last node of the cluster dies (SIGKILL) and comes back; node 1 and the others carry on.
  for (let i = settings.nodeKills - 1; i >= 0; i--) {
    const node = settings.nodes - (i % (settings.nodes - 1))
    plan.unshift(() => timed(`engine node ${node} of ${settings.nodes} killed (SIGKILL) and started again`, () => restartEngine(config, { hard: true, node }, say)))
  }
  await sleep(settings.firstFaultS * 1000)
  for (const [i, step] of plan.entries()) {
    if (stopped()) return
    if (i > 0) await sleep(settings.faultGapS * 1000)
    await step()
  }
}

async function killLoop(done: () => boolean) {
  while (!done()) {
    await sleep(settings.killEveryS * 1000 * (0.5 + random()))
    const supervisor = workers.current!
    if (supervisor.kills.length >= settings.kills || done()) continue
    supervisor.kill()
  }
}

/** Open incidents of the run's instances (the engine removes an incident once it is resolved). */
async function openIncidents(ids: string[]): Promise<OpenIncident[]> {
  const ours = new Set(ids)
  return (await rest.get<OpenIncident[]>('/incident?maxResults=10000')).filter((incident) => ours.has(incident.processInstanceId))
}

/** Gives each open incident's task or job its retries back: what an operator does in Cockpit. */
async function retryIncidents(ids: string[]) {
  for (const incident of await openIncidents(ids)) {
    const { id, activityId, incidentType, incidentMessage, configuration } = incident
    if (!configuration) continue
    if (incidentType === 'failedExternalTask') await rest.put(`/external-task/${configuration}/retries`, { retries: 3 })
    else if (incidentType === 'failedJob') await rest.put(`/job/${configuration}/retries`, { retries: 3 })
    else continue
    resolved.push({ id, elementId: activityId, errorType: incidentType, errorMessage: (incidentMessage ?? '').slice(0, 200) })
    say(`incident at ${activityId} retried: ${(incidentMessage ?? '').slice(0, 120)}`)
  }
}

try {
  say(`database ${path.basename(dbUrl.pathname)}: migrating, seeding, deploying; outside services on loopback`)
  await migrateLatest(direct)
  await seedDemoCatalogue(direct)
  await direct('stock').where({ sku: 'PP-24C6' }).update({ on_hand: 1000000 })
  await ensureIdentity(config)
  await deployAll(config)
  workers.current = superviseWorkers({
    env: { ...process.env, ...outside.env, DATABASE_URL: proxiedUrl, ENGINE_NODES: String(settings.nodes), WORKER_JOB_TIMEOUT_MS: '10000', LOG_LEVEL: 'warn' },
    say,
    random,
    killAfterEffects: settings.kills > 0,
  })
  const driver = createDriver({ app, apiKey: 'demo-integrator-key', rest, db, count: settings.orders, concurrency: settings.concurrency, runId, say })

  let faultsDone = false
  const sequence = faultSequence(() => faultsDone).catch((error) => say(`fault failed: ${error}`)).finally(() => (faultsDone = true))
  let drivingOver = false
  const kills = killLoop(() => drivingOver || faultsDone && driver.finished())
  const driveUntil = Date.now() + settings.driveS * 1000
  let lastSaid = 0
  // Once the faults are over, a minute without progress means the rest waits for an operator (incidents).
  let progress = ''
  let progressAt = Date.now()
  while (Date.now() < driveUntil) {
    await driver.tick().catch((error) => say(`tick: ${String(error).slice(0, 160)}`))
    const kills = workers.current.kills.length
    if (driver.finished() && faultsDone && kills >= settings.kills) break
    const now = `${driver.state.orders.filter((o) => o.done).length}:${driver.state.userTasksCompleted}:${driver.state.events.length}`
    if (now !== progress || !faultsDone) (progress = now), (progressAt = Date.now())
    if (faultsDone && kills >= settings.kills && Date.now() - progressAt > 60000) {
      say('no progress for a minute since the faults ended')
      break
    }
    if (Date.now() - lastSaid > 15000) {
      lastSaid = Date.now()
      const done = driver.state.orders.filter((o) => o.done).length
      say(`${done}/${settings.orders} orders done, ${driver.state.orders.length} placed, ${driver.state.userTasksCompleted} tasks, ${driver.state.events.length} events, ${kills} worker kills`)
    }
    await sleep(1000)
  }
  drivingOver = true
  await Promise.all([sequence, kills])
  say(`drive over: ${driver.state.orders.filter((o) => o.done).length}/${settings.orders} orders done; recovering (retrying incidents) for up to ${settings.recoveryS} s`)

  const recoverUntil = Date.now() + settings.recoveryS * 1000
  for (let round = 0; Date.now() < recoverUntil; round++) {
    await driver.tick().catch((error) => say(`tick: ${String(error).slice(0, 160)}`))
    if (round % 5 === 0) await retryIncidents(driver.instanceIds()).catch((error) => say(`retrying incidents: ${String(error).slice(0, 160)}`))
    const lateDone = driver.state.events.every((e) => e.replayAfterTtl !== undefined)
    if (driver.finished() && lateDone) break
    await sleep(1000)
  }
  await driver.settle()
  await workers.current.stop()
  const leftOpen = await openIncidents(driver.instanceIds())
  const { checks, summary } = await verify({ db: direct, rest, state: driver.state, calls: outside.calls })
  const kinds = workers.current.kills
  const allChecks: Check[] = [
    ...checks,
    {
      name: 'faults injected as asked',
      ok: kinds.length >= settings.kills && kinds.some((k) => k.kind === 'after-effect') === settings.kills > 0 && faults.length === settings.engineRestarts + (settings.postgresOutageS ? 1 : 0) + settings.nodeKills,
      detail: `${kinds.length} worker kills (${kinds.filter((k) => k.kind === 'after-effect').length} right after a side effect), ${faults.map((f) => f.what).join('; ')}`,
    },
    {
      name: 'incidents retried to completion',
      ok: leftOpen.length === 0,
      detail: leftOpen.length ? leftOpen.map((i) => `${i.activityId}: ${(i.incidentMessage ?? '').slice(0, 100)}`).join('; ') : `${resolved.length} incidents retried, none left`,
    },
  ]
  const result = {
    startedAt: started.toISOString(),
    durationS: Math.round((Date.now() - t0) / 1000),
    settings,
    faults,
    workerKills: { total: kinds.length, afterSideEffect: kinds.filter((k) => k.kind === 'after-effect').length, atRandom: kinds.filter((k) => k.kind === 'signal').length, workerStarts: workers.current.starts() },
    incidentsRetried: resolved,
    apiRetries: driver.state.apiRetries,
    ...summary,
    checks: allChecks,
  }
  const out = args.out ?? path.resolve(projectRoot, config.DATA_DIR, 'chaos', `${started.toISOString().replace(/[:.]/g, '-')}.json`)
  await mkdir(path.dirname(out), { recursive: true })
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`)
  process.stdout.write(`${report(result)}\nJSON: ${path.relative(process.cwd(), out)}\n`)
  if (allChecks.some((c) => !c.ok)) exitCode = 1
} catch (error) {
  say(`failed: ${(error as Error).stack ?? error}`)
  exitCode = 1
} finally {
  const atMost = (work: Promise<unknown>) => Promise.race([work.catch(() => undefined), sleep(10000)])
  await atMost(workers.current?.stop() ?? Promise.resolve())
  await atMost(app.close())
  await atMost(outside.close())
  await atMost(db.destroy())
  await atMost(direct.destroy())
  await atMost(proxy.close())
  for (const node of ownNodes) await atMost(stopEngine(config, say, { node }))
  await dropDatabase(databaseUrl).catch((error) => say(`could not drop the chaos database: ${error}`))
}
process.exit(exitCode)

function report(r: {
  durationS: number
  settings: typeof settings
  faults: typeof faults
  workerKills: { total: number; afterSideEffect: number; atRandom: number; workerStarts: number }
  incidentsRetried: typeof resolved
  ordersPlaced: number
  ordersCompleted: number
  byScenario: Record<string, { placed: number; completed: number }>
  effects: { refunds: number; carrierBookings: number; purchaseRequests: number; notificationsSent: number; providerCalls: Record<string, Record<string, number>> }
  messages: Record<string, number>
  checks: Check[]
}): string {
  const lines = [
    `## Chaos run (${r.durationS} s, seed ${r.settings.seed})`,
    '',
    `Orders: ${r.ordersCompleted}/${r.ordersPlaced} completed — ${Object.entries(r.byScenario).map(([s, n]) => `${s} ${n.completed}/${n.placed}`).join(', ')}`,
    `Worker kills: ${r.workerKills.total} (${r.workerKills.afterSideEffect} right after a side effect, ${r.workerKills.atRandom} at random moments; ${r.workerKills.workerStarts} worker starts)`,
    ...r.faults.map((f) => `Fault at ${f.at} s: ${f.what} (${(f.tookMs / 1000).toFixed(1)} s)`),
    `Incidents retried: ${r.incidentsRetried.length}${r.incidentsRetried.length ? ` (${[...new Set(r.incidentsRetried.map((i) => i.elementId))].join(', ')})` : ''}`,
    `Effects: ${r.effects.refunds} refunds, ${r.effects.carrierBookings} carrier bookings, ${r.effects.purchaseRequests} purchase requests, ${r.effects.notificationsSent} notifications`,
    `Provider calls: ${Object.entries(r.effects.providerCalls).map(([s, c]) => `${s} ${c.calls} calls / ${c.effects} effects / ${c.repeatedKey} repeated keys / ${c.unavailable} injected 503`).join('; ')}`,
    `Messages: ${Object.entries(r.messages).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    '',
    '| check | result | detail |',
    '|---|---|---|',
    ...r.checks.map((c) => `| ${c.name} | ${c.ok ? 'ok' : '**FAILED**'} | ${c.detail.replace(/\|/g, '/')} |`),
  ]
  return lines.join('\n')
}
