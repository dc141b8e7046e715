/**
 * npm run bench [-- --orders N --concurrency C --warmup W --phase-timeout S --timer-idle S
 *                   --timer-every MS --short-poll MS --page-runs R --out FILE]
 *
 * Drives N regular contract orders with stock available through the engine (a driver plays the
 * staff and the outside parties), in three phases on the same diagrams and engine — real workers
 * long-polling (as `npm start` runs them), no-op workers long-polling, real workers short-polling
 * — and measures timer lateness idle and, in a fourth phase, under the load of real workers.
 * Prints a markdown table and writes the figures as JSON to data/bench/<time>.json. Uses a
 * database of its own (created and dropped) and its own copies of the diagrams and topics
 * (scripts/bench/diagrams.ts), so it disturbs nobody's instances.
 * Every phase stops at its time-out (what did not finish is cancelled), so a run takes at most
 * timer-idle + (warm-up and four phases) × phase-timeout. BENCH_ORDERS sets N too.
 * Last, the auditor view's order page is loaded R times for an order of 4 instances and about 300
 * timeline rows (scripts/bench/auditor-page.ts), in Debian's Chromium.
 */
import { execFileSync } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { loadConfig, projectRoot } from '../lib/config.ts'
import { createDb, dropDatabase, ensureDatabase, migrateLatest, scratchDatabaseUrl } from '../lib/db.ts'
import { engineReady, OPERATON_VERSION } from '../lib/engine.ts'
import { createEngineRest } from '../lib/engine-rest.ts'
import { ensureIdentity } from '../lib/identity.ts'
import { setLogLevel, type Level } from '../lib/log.ts'
import { seedDemoCatalogue } from '../lib/seed.ts'
import type { HandledJob } from '../lib/worker-runtime.ts'
import { measureAuditorPage } from './bench/auditor-page.ts'
import { deployBenchResources } from './bench/diagrams.ts'
import { driveOrders } from './bench/driver.ts'
import { memoryPeaks } from './bench/memory.ts'
import { progressBar } from './bench/progress.ts'
import { markdown, targetsOf, type BenchResult, type PhaseFigures } from './bench/report.ts'
import { engineHistory } from './bench/history.ts'
import { engineOverhead, summarise } from './bench/stats.ts'
import { startTimers, type TimerFigures } from './bench/timers.ts'
import { startBenchWorkers, type Polling, type RecordedOutcomes, type WorkerKind } from './bench/workers.ts'

const { values: args } = parseArgs({
  options: {
    orders: { type: 'string' },
    concurrency: { type: 'string', default: '40' },
    warmup: { type: 'string', default: '4' },
    'phase-timeout': { type: 'string', default: '300' },
    'timer-idle': { type: 'string', default: '20' },
    'timer-every': { type: 'string', default: '500' },
    'short-poll': { type: 'string', default: '500' },
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
  orders: positive('orders', args.orders ?? String(base.BENCH_ORDERS)),
  concurrency: positive('concurrency', args.concurrency),
  warmup: positive('warmup', args.warmup, 0),
  phaseTimeoutS: positive('phase-timeout', args['phase-timeout']),
  timerIdleS: positive('timer-idle', args['timer-idle']),
  timerEveryMs: positive('timer-every', args['timer-every'], 50),
  pollHoldMs: base.WORKER_POLL_INTERVAL_MS,
  shortPollMs: positive('short-poll', args['short-poll'], 10),
  pageRuns: positive('page-runs', args['page-runs']),
  maxJobsActive: base.WORKER_MAX_JOBS_ACTIVE,
}

const runStarted = new Date()
const loadAtStart = os.loadavg()
const runId = runStarted.toISOString().replace(/\D/g, '').slice(2, 14)
const databaseUrl = scratchDatabaseUrl(base.DATABASE_URL, `order_flow_bench_${runId}`)
const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl })
setLogLevel((process.env.LOG_LEVEL as Level | undefined) ?? 'warn')
const say = (line: string) => process.stderr.write(`[bench] ${line}\n`)

if (!(await engineReady(config))) throw new Error(`bench: the engine does not answer at ${config.ENGINE_URL} (npm run engine -- start)`)

await ensureDatabase(databaseUrl)
const db = createDb(databaseUrl)
const rest = createEngineRest(config)
const history = engineHistory(rest)
const recorded: RecordedOutcomes = new Map()
let exitCode = 0

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
    engineDatabase: config.ENGINE_DATABASE_URL.startsWith('h2:') ? 'H2 (file)' : 'PostgreSQL',
    postgres,
    os: `${os.type()} ${os.release()}`,
  }
}

interface PhaseRun {
  figures: PhaseFigures
  clockOffsets: number[]
  underLoad?: TimerFigures
}

async function phase(label: string, tag: string, kind: WorkerKind, polling: Polling, count: number, withTimers = false): Promise<PhaseRun> {
  const handled: HandledJob[] = []
  const workers = await startBenchWorkers({ config, db, kind, polling, shortPollMs: settings.shortPollMs, recorded, onJobHandled: (job) => handled.push(job) })
  const bar = progressBar(label, count)
  const timers = withTimers ? startTimers(rest, { everyMs: settings.timerEveryMs, leadMs: 2000, max: 100000 }) : undefined
  let drive
  try {
    drive = await driveOrders({
      rest,
      count,
      concurrency: settings.concurrency,
      deadline: Date.now() + settings.phaseTimeoutS * 1000,
      runId: `${runId}${tag}`,
      onProgress: (completed, started) => bar.update(completed, `(${started} started${timers ? `, ${timers.started()} timers` : ''}) `),
    })
  } finally {
    timers?.stop()
    await workers.stop(5000)
  }
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
    },
    clockOffsets: drive.orders.filter((o) => o.activatedAt).map((o) => o.activatedAt! - o.startedAt),
    underLoad,
  }
}

try {
  say(`database ${path.basename(new URL(databaseUrl).pathname)}: migrating and seeding; deploying the benchmark diagrams`)
  await migrateLatest(db)
  await seedDemoCatalogue(db)
  // Stock for every order of every phase: the path measured is "stock available".
  await db('stock').where({ sku: 'PP-24C6' }).update({ on_hand: 1000000 })
  await ensureIdentity(config)
  await deployBenchResources(rest)
  const memory = memoryPeaks(config)

  const idleTimers = startTimers(rest, {
    everyMs: settings.timerEveryMs,
    leadMs: 2000,
    max: Math.max(1, Math.floor((settings.timerIdleS * 1000) / settings.timerEveryMs)),
  })
  const idleBar = progressBar('timers idle', settings.timerIdleS)
  for (let s = 0; s < settings.timerIdleS; s++) {
    idleBar.update(s, `(${idleTimers.started()} timers) `)
    await sleep(1000)
  }
  idleBar.done()
  const idle = await idleTimers.finish(15000)

  if (settings.warmup) await phase('warm-up', '0', 'real', 'long', settings.warmup)
  const realLong = await phase('real·long poll', '1', 'real', 'long', settings.orders)
  const noopLong = await phase('no-op·long poll', '2', 'no-op', 'long', settings.orders)
  const realShort = await phase('real·short poll', '3', 'real', 'short', settings.orders)
  // Timers under load get a phase of their own, so their load does not weigh on one of the three compared above.
  const loaded = await phase('timers under load', '4', 'real', 'long', settings.orders, true)
  const memoryPeakMiB = await memory.stop()
  say(`auditor order page: an order of 4 instances and about 300 timeline rows, loaded ${settings.pageRuns} times`)
  const auditorPage = await measureAuditorPage({ config, db, rest, runId, runs: settings.pageRuns })

  const offsets = summarise(realLong.clockOffsets)
  const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b)
  const partial: Omit<BenchResult, 'targets'> = {
    startedAt: runStarted.toISOString(),
    durationS: (Date.now() - runStarted.getTime()) / 1000,
    commit: commit(),
    machine: await machine(),
    settings,
    phases: { realLongPoll: realLong.figures, noopLongPoll: noopLong.figures, realShortPoll: realShort.figures },
    timers: { idle, underLoad: loaded.underLoad! },
    ratios: {
      realOverNoopThroughput: ratio(realLong.figures.ordersPerS, noopLong.figures.ordersPerS),
      longOverShortPollOverheadP50: ratio(realLong.figures.createdToHandlerMs.p50, realShort.figures.createdToHandlerMs.p50),
    },
    engineClockOffsetMs: offsets.p50,
    loadAverage: { atStart: loadAtStart, atEnd: os.loadavg() },
    memoryPeakMiB,
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
