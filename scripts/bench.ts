/**
 * npm run bench [-- --engines h2,pg,pg2 --orders N --concurrency C --warmup W --phase-timeout S
 *                   --timer-idle S --timer-every MS --short-poll MS --driver-tick MS --page-runs R
 *                   --out FILE]
 *
 * Drives N regular contract orders with stock available through each engine set-up in turn —
 * H2 on one node, PostgreSQL on one node, PostgreSQL on two nodes (scripts/bench/engines.ts: the
 * benchmark starts and stops them itself, on ENGINE_URL's port + 100; `current` is the engine
 * already running at ENGINE_URL) — and, on each, in phases on the same diagrams: real workers
 * long-polling (as `npm start` runs them), no-op workers long-polling, and real workers with timer
 * instances started throughout (timer lateness under load), after timers alone (idle). The first
 * set-up also runs real workers short-polling. A driver plays the staff and the outside parties.
 * Every phase counts the CPU the engine nodes, the workers and driver, and PostgreSQL used, and
 * the real workers' phase what each order added to the engine's and the order database.
 * Prints a markdown table (each set-up next to its baseline: PostgreSQL against H2, two nodes
 * against one) and writes the figures as JSON to data/bench/<time>.json. Uses an order database
 * of its own (created and dropped) and its own copies of the diagrams and topics
 * (scripts/bench/diagrams.ts), so it disturbs nobody's instances.
 * Every phase stops at its time-out (what did not finish is cancelled), so a set-up takes at most
 * its engine's start + timer-idle + (warm-up and three or four phases) × phase-timeout.
 * BENCH_ORDERS sets N too.
 * Last on the first set-up, the auditor view's order page is loaded R times for an order of 4
 * instances and about 300 timeline rows (scripts/bench/auditor-page.ts), in Debian's Chromium;
 * `--page-runs 0` leaves it out.
 */
import { execFileSync } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Knex } from 'knex'
import { loadConfig, projectRoot, type Config } from '../lib/config.ts'
import { createDb, databaseName, dropDatabase, ensureDatabase, migrateLatest, scratchDatabaseUrl } from '../lib/db.ts'
import { OPERATON_VERSION } from '../lib/engine.ts'
import { createEngineRest, type EngineRest } from '../lib/engine-rest.ts'
import { ensureIdentity } from '../lib/identity.ts'
import { setLogLevel, type Level } from '../lib/log.ts'
import { seedDemoCatalogue } from '../lib/seed.ts'
import type { HandledJob } from '../lib/worker-runtime.ts'
import { measureAuditorPage } from './bench/auditor-page.ts'
import { deployBenchResources } from './bench/diagrams.ts'
import { driveOrders } from './bench/driver.ts'
import { enginePids, engineSetup, parseSetups, refuseOccupied, startSetup, stopSetup, type EngineSetup } from './bench/engines.ts'
import { engineHistory, type EngineHistory } from './bench/history.ts'
import { memoryPeaks } from './bench/memory.ts'
import { progressBar } from './bench/progress.ts'
import { markdown, targetsOf, type BenchResult, type EngineRun, type PhaseFigures } from './bench/report.ts'
import { engineOverhead, summarise } from './bench/stats.ts'
import { startTimers, type TimerFigures } from './bench/timers.ts'
import { footprint, perUnit, startCpu } from './bench/usage.ts'
import { startBenchWorkers, type Polling, type RecordedOutcomes, type WorkerKind } from './bench/workers.ts'

const { values: args } = parseArgs({
  options: {
    engines: { type: 'string', default: 'h2,pg,pg2' },
    orders: { type: 'string' },
    concurrency: { type: 'string', default: '40' },
    warmup: { type: 'string', default: '4' },
    'phase-timeout': { type: 'string', default: '300' },
    'timer-idle': { type: 'string', default: '20' },
    'timer-every': { type: 'string', default: '500' },
    'short-poll': { type: 'string', default: '500' },
    'driver-tick': { type: 'string', default: '200' },
    'page-runs': { type: 'string', default: '10' },
    out: { type: 'string' },
  },
})
const base = loadConfig()
const positive = (name: string, text: string | undefined, min = 1): number => {
  const value = Number(text)
  if (!Number.isInteger(value) || value < min) throw new Error(`bench: --${name} expects an integer ≥ ${min}, got "${text}"`)
  return value
}
const settings = {
  engines: parseSetups(args.engines!),
  orders: positive('orders', args.orders ?? String(base.BENCH_ORDERS)),
  concurrency: positive('concurrency', args.concurrency),
  warmup: positive('warmup', args.warmup, 0),
  phaseTimeoutS: positive('phase-timeout', args['phase-timeout']),
  timerIdleS: positive('timer-idle', args['timer-idle']),
  timerEveryMs: positive('timer-every', args['timer-every'], 50),
  pollHoldMs: base.WORKER_POLL_INTERVAL_MS,
  shortPollMs: positive('short-poll', args['short-poll'], 10),
  driverTickMs: positive('driver-tick', args['driver-tick'], 10),
  pageRuns: positive('page-runs', args['page-runs'], 0),
  maxJobsActive: base.WORKER_MAX_JOBS_ACTIVE,
}

const runStarted = new Date()
const loadAtStart = os.loadavg()
// The second of the start and two digits of the pid: two runs started in the same second get their own databases.
const runId = `${runStarted.toISOString().replace(/\D/g, '').slice(2, 14)}${String(process.pid % 100).padStart(2, '0')}`
const databaseUrl = scratchDatabaseUrl(base.DATABASE_URL, `order_flow_bench_${runId}`)
const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl })
const setups = settings.engines.map((name) => engineSetup(config, name, runId))
setLogLevel((process.env.LOG_LEVEL as Level | undefined) ?? 'warn')
const say = (line: string) => process.stderr.write(`[bench] ${line}\n`)

await ensureDatabase(databaseUrl)
const db = createDb(databaseUrl)
const recorded: RecordedOutcomes = new Map()
let exitCode = 0
/** The set-up whose engine runs now: an interrupted run stops it (and drops what it made) rather than leave it on its port. */
let running: EngineSetup | undefined
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping${running?.own ? ` the ${running.label} engine and` : ''} the run`)
    const stopping = running ? stopSetup(running, say) : Promise.resolve()
    void stopping
      .catch((error) => say(`could not stop the engine: ${error}`))
      .then(() => dropDatabase(databaseUrl))
      .catch((error) => say(`could not drop the benchmark database: ${error}`))
      .finally(() => process.exit(130))
  })
}

function commit(): string {
  const git = (...a: string[]) => execFileSync('git', a, { cwd: projectRoot, encoding: 'utf8' }).trim()
  try {
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? ' (with uncommitted changes)' : ''}`
  } catch {
    return 'unknown'
  }
}

async function machine(): Promise<BenchResult['machine']> {
  const cpu = /model name\s*:\s*(.+)/.exec(await readFile('/proc/cpuinfo', 'utf8').catch(() => ''))?.[1] ?? os.cpus()[0]?.model ?? 'unknown'
  const postgres = (await db.raw("select current_setting('server_version') as v")).rows[0].v as string
  return {
    cores: os.availableParallelism(),
    memoryMiB: Math.round(os.totalmem() / 1024 / 1024),
    cpu,
    node: process.version,
    operaton: OPERATON_VERSION,
    postgres,
    os: `${os.type()} ${os.release()}`,
  }
}

/** What every phase on one engine set-up shares. */
interface SetupContext {
  setup: EngineSetup
  config: Config
  rest: EngineRest
  history: EngineHistory
  /** The process ids of the engine's nodes, and the databases whose PostgreSQL backends count. */
  pids: (number | undefined)[]
  databases: string[]
  /** Digits unique to the set-up in every order number. */
  tag: string
}

interface PhaseRun {
  figures: PhaseFigures
  clockOffsets: number[]
  underLoad?: TimerFigures
}

async function phase(context: SetupContext, label: string, tag: string, kind: WorkerKind, polling: Polling, count: number, withTimers = false): Promise<PhaseRun> {
  const { config, rest, history } = context
  const handled: HandledJob[] = []
  const cpu = await startCpu(db, context.pids, context.databases)
  const noticeBackends = setInterval(() => void cpu.notice(), 2000)
  const workers = await startBenchWorkers({ config, db, kind, polling, shortPollMs: settings.shortPollMs, recorded, onJobHandled: (job) => handled.push(job) })
  const bar = progressBar(`${context.setup.name} ${label}`, count)
  const timers = withTimers ? startTimers(rest, { everyMs: settings.timerEveryMs, leadMs: 2000, max: 100000 }) : undefined
  let drive
  try {
    drive = await driveOrders({
      rest,
      count,
      concurrency: settings.concurrency,
      deadline: Date.now() + settings.phaseTimeoutS * 1000,
      runId: `${runId}${context.tag}${tag}`,
      tickMs: settings.driverTickMs,
      onProgress: (completed, started) => bar.update(completed, `(${started} started${timers ? `, ${timers.started()} timers` : ''}) `),
    })
  } finally {
    timers?.stop()
    await workers.stop(5000)
    clearInterval(noticeBackends)
  }
  const used = await cpu.stop()
  bar.done(drive.timedOut ? 'TIMED OUT' : 'done')
  const underLoad = await timers?.finish(15000)
  const done = drive.orders.filter((o) => o.completedAt !== undefined)
  const first = Math.min(...drive.orders.map((o) => o.startedAt))
  const last = done.length ? Math.max(...done.map((o) => o.completedAt!)) : drive.endedAt
  const durationS = Math.max(0.001, (last - first) / 1000)
  const completedJobs = handled.filter((job) => job.outcome)
  const overhead = await engineOverhead(history, completedJobs)
  return {
    figures: {
      workers: kind,
      polling,
      orders: count,
      completed: done.length,
      timedOut: drive.timedOut,
      durationS,
      ordersPerS: done.length / durationS,
      serviceTasks: overhead.serviceTasks,
      serviceTasksPerS: overhead.serviceTasks / durationS,
      userTasks: drive.userTasksCompleted,
      messages: drive.messagesPublished,
      endToEndMs: summarise(done.map((o) => o.completedAt! - o.startedAt)),
      driverReactionMs: summarise(drive.reactionsMs),
      createdToHandlerMs: overhead.createdToHandler,
      handlerToNextMs: overhead.handlerToNext,
      handlerMsByTopic: Object.fromEntries(
        [...new Set(completedJobs.map((job) => job.type))].sort().map((type) => [
          type.replace(/^bench-/, ''),
          summarise(completedJobs.filter((job) => job.type === type).map((job) => job.handlerEndedAt - job.handlerStartedAt)),
        ]),
      ),
      reportMs: summarise(completedJobs.map((job) => job.reportedAt - job.handlerEndedAt)),
      cpu: used,
    },
    clockOffsets: drive.orders.filter((o) => o.activatedAt).map((o) => o.activatedAt! - o.startedAt),
    underLoad,
  }
}

const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b)

/** Starts the set-up's engine, runs its phases, stops it; the auditor page is measured on the first. */
async function runSetup(setup: EngineSetup, index: number, auditor: { runs: number }): Promise<{ run: EngineRun; auditorPage?: Awaited<ReturnType<typeof measureAuditorPage>> }> {
  say(`${setup.label}: ${setup.own ? `starting on ${setup.config.ENGINE_URL}` : 'the engine already running'}`)
  await refuseOccupied(setup)
  running = setup
  const setupConfig = setup.config
  // The engine's REST client takes the nodes in turn (a load balancer's round robin).
  const rest = createEngineRest(setupConfig)
  let engineDb: Knex | undefined
  let failed = true
  try {
    const startMs = await startSetup(setup, say)
    if (setup.database === 'PostgreSQL') engineDb = createDb(setupConfig.ENGINE_DATABASE_URL)
    await ensureIdentity(setupConfig)
    await deployBenchResources(rest)
    const context: SetupContext = {
      setup,
      config: setupConfig,
      rest,
      history: engineHistory(rest),
      pids: await enginePids(setup),
      databases: [databaseName(databaseUrl), ...(engineDb ? [databaseName(setupConfig.ENGINE_DATABASE_URL)] : [])],
      tag: String(index + 1),
    }
    const memory = memoryPeaks(setupConfig)
    const idleTimers = startTimers(rest, {
      everyMs: settings.timerEveryMs,
      leadMs: 2000,
      max: Math.max(1, Math.floor((settings.timerIdleS * 1000) / settings.timerEveryMs)),
    })
    const idleBar = progressBar(`${setup.name} timers idle`, settings.timerIdleS)
    for (let s = 0; s < settings.timerIdleS; s++) {
      idleBar.update(s, `(${idleTimers.started()} timers) `)
      await sleep(1000)
    }
    idleBar.done()
    const idle = await idleTimers.finish(15000)

    if (settings.warmup) await phase(context, 'warm-up', '0', 'real', 'long', settings.warmup)
    const engineBefore = engineDb ? await footprint(engineDb, 'act_%') : undefined
    const orderBefore = await footprint(db)
    const realLong = await phase(context, 'real·long poll', '1', 'real', 'long', settings.orders)
    const completed = Math.max(1, realLong.figures.completed)
    const engineAfter = engineDb ? await footprint(engineDb, 'act_%') : undefined
    const orderAfter = await footprint(db)
    const noopLong = await phase(context, 'no-op·long poll', '2', 'no-op', 'long', settings.orders)
    const realShort = index === 0 ? await phase(context, 'real·short poll', '3', 'real', 'short', settings.orders) : undefined
    // Timers under load get a phase of their own, so their load does not weigh on the phases compared above.
    const loaded = await phase(context, 'timers under load', '4', 'real', 'long', settings.orders, true)
    const memoryPeakMiB = await memory.stop()
    let auditorPage
    if (auditor.runs) {
      say(`auditor order page: an order of 4 instances and about 300 timeline rows, loaded ${auditor.runs} times`)
      auditorPage = await measureAuditorPage({ config: setupConfig, db, rest, runId: `${runId}${context.tag}`, runs: auditor.runs })
    }
    const engineCpu = realLong.figures.cpu.engineNodesS.some((v) => v === null) ? null : realLong.figures.cpu.engineNodesS.reduce<number>((a, b) => a + (b ?? 0), 0)
    const run: EngineRun = {
      name: setup.name,
      label: setup.label,
      database: setup.database,
      nodes: setup.nodes,
      startMs,
      phases: { realLongPoll: realLong.figures, noopLongPoll: noopLong.figures, ...(realShort ? { realShortPoll: realShort.figures } : {}) },
      timers: { idle, underLoad: loaded.underLoad! },
      ratios: {
        realOverNoopThroughput: ratio(realLong.figures.ordersPerS, noopLong.figures.ordersPerS),
        longOverShortPollOverheadP50: realShort ? ratio(realLong.figures.createdToHandlerMs.p50, realShort.figures.createdToHandlerMs.p50) : null,
      },
      engineClockOffsetMs: summarise(realLong.clockOffsets).p50,
      memoryPeakMiB,
      perOrder: {
        engineCpuS: engineCpu === null ? null : engineCpu / completed,
        workersCpuS: realLong.figures.cpu.workersS / completed,
        postgresCpuS: realLong.figures.cpu.postgresS === null ? null : realLong.figures.cpu.postgresS / completed,
        engineDatabase: engineBefore && engineAfter ? perUnit(engineBefore, engineAfter, completed) : null,
        orderDatabase: perUnit(orderBefore, orderAfter, completed),
      },
    }
    failed = false
    return { run, auditorPage }
  } finally {
    await engineDb?.destroy()
    await stopSetup(setup, say, failed)
    running = undefined
  }
}

try {
  say(`database ${path.basename(new URL(databaseUrl).pathname)}: migrating and seeding`)
  await migrateLatest(db)
  await seedDemoCatalogue(db)
  // Stock for every order of every phase: the path measured is "stock available".
  await db('stock').where({ sku: 'PP-24C6' }).update({ on_hand: 1000000 })
  if (!settings.pageRuns) say('auditor order page: not measured (--page-runs 0)')
  const engines: EngineRun[] = []
  let auditorPage: BenchResult['auditorPage'] = null
  for (const [index, setup] of setups.entries()) {
    const outcome = await runSetup(setup, index, { runs: index === 0 ? settings.pageRuns : 0 })
    engines.push(outcome.run)
    auditorPage ??= outcome.auditorPage ?? null
  }
  const partial: Omit<BenchResult, 'targets'> = {
    startedAt: runStarted.toISOString(),
    durationS: (Date.now() - runStarted.getTime()) / 1000,
    commit: commit(),
    machine: await machine(),
    settings,
    engines,
    loadAverage: { atStart: loadAtStart, atEnd: os.loadavg() },
    auditorPage,
  }
  const result: BenchResult = { ...partial, targets: targetsOf(partial) }
  const out = args.out ?? path.resolve(projectRoot, config.DATA_DIR, 'bench', `${runStarted.toISOString().replace(/[:.]/g, '-')}.json`)
  await mkdir(path.dirname(out), { recursive: true })
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`)
  process.stdout.write(`${markdown(result)}\n\nJSON: ${path.relative(process.cwd(), out)}\n`)
} catch (error) {
  say(`failed: ${(error as Error).message}`)
  exitCode = 1
} finally {
  // A handler stuck past its phase must not keep the run from ending.
  const atMost = (work: Promise<unknown>) => Promise.race([work.catch(() => undefined), sleep(5000)])
  await atMost(db.destroy())
  await dropDatabase(databaseUrl).catch((error) => say(`could not drop the benchmark database: ${error}`))
}
process.exit(exitCode)
