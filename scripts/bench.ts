/**
 * npm run bench [-- --orders N --concurrency C --warmup W --phase-timeout S --timer-idle S
 *                   --timer-every MS --out FILE]
 *
 * Drives N regular contract orders with stock available through the engine (a driver plays the
 * staff and the outside parties), in three phases on the same diagrams and engine — real workers
 * with job streaming, no-op workers with streaming, real workers polling only — and measures
 * timer lateness idle and, in a fourth phase, under the load of real workers with streaming. Prints a markdown table and writes the figures as JSON to
 * data/bench/<time>.json. Uses a database of its own (created and dropped) and its own copies of
 * the diagrams and job types (scripts/bench/diagrams.ts), so it disturbs nobody's instances.
 * Every phase stops at its time-out (what did not finish is cancelled), so a run takes at most
 * timer-idle + (warm-up and four phases) × phase-timeout. BENCH_ORDERS sets N too.
 */
import { execFileSync } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { createCamunda, createEngineRest } from '../lib/camunda.ts'
import { loadConfig, projectRoot } from '../lib/config.ts'
import { createDb, dropDatabase, ensureDatabase, migrateLatest, scratchDatabaseUrl } from '../lib/db.ts'
import { CAMUNDA_VERSION, ports, topologyHealthy } from '../lib/engine.ts'
import { setLogLevel, type Level } from '../lib/log.ts'
import { seedDemoCatalogue } from '../lib/seed.ts'
import type { HandledJob } from '../lib/worker-runtime.ts'
import { deployBenchResources } from './bench/diagrams.ts'
import { driveOrders } from './bench/driver.ts'
import { memoryPeaks } from './bench/memory.ts'
import { progressBar } from './bench/progress.ts'
import { markdown, targetsOf, type BenchResult, type PhaseFigures } from './bench/report.ts'
import { engineOverhead, summarise } from './bench/stats.ts'
import { startTimers, type TimerFigures } from './bench/timers.ts'
import { startBenchWorkers, type RecordedOutcomes, type WorkerKind } from './bench/workers.ts'

const { values: args } = parseArgs({
  options: {
    orders: { type: 'string' },
    concurrency: { type: 'string', default: '40' },
    warmup: { type: 'string', default: '4' },
    'phase-timeout': { type: 'string', default: '300' },
    'timer-idle': { type: 'string', default: '20' },
    'timer-every': { type: 'string', default: '500' },
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
  pollIntervalMs: base.WORKER_POLL_INTERVAL_MS,
  maxJobsActive: base.WORKER_MAX_JOBS_ACTIVE,
}

const runStarted = new Date()
const loadAtStart = os.loadavg()
const runId = runStarted.toISOString().replace(/\D/g, '').slice(2, 14)
const databaseUrl = scratchDatabaseUrl(base.DATABASE_URL, `order_flow_bench_${runId}`)
const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl })
setLogLevel((process.env.LOG_LEVEL as Level | undefined) ?? 'warn')
// Closing a job stream makes the SDK print the cancellation as an error; the benchmark closes
// its streams on purpose at the end of every phase.
const consoleError = console.error.bind(console)
console.error = (...parts: unknown[]) => {
  if (parts.some((part) => String(part instanceof Error ? part.message : part).includes('Cancelled on client'))) return
  consoleError(...parts)
}
const say = (line: string) => process.stderr.write(`[bench] ${line}\n`)

if (!(await topologyHealthy(config))) throw new Error('bench: the engine is not running (npm run engine -- start)')

await ensureDatabase(databaseUrl)
const db = createDb(databaseUrl)
const camunda = createCamunda(config)
const zeebe = camunda.getZeebeGrpcApiClient()
const rest = createEngineRest(config)
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
  const search = (await fetch(`http://127.0.0.1:${ports.search}/`).then((r) => r.json()).catch(() => ({}))) as { version?: { number?: string } }
  const postgres = (await db.raw("select current_setting('server_version') as v")).rows[0].v as string
  return {
    cores: os.availableParallelism(),
    memoryMiB: Math.round(os.totalmem() / 1024 / 1024),
    cpu,
    node: process.version,
    camunda: CAMUNDA_VERSION,
    opensearch: search.version?.number ?? 'unknown',
    postgres,
    os: `${os.type()} ${os.release()}`,
  }
}

interface PhaseRun {
  figures: PhaseFigures
  clockOffsets: number[]
  underLoad?: TimerFigures
}

async function phase(label: string, tag: string, kind: WorkerKind, streaming: boolean, count: number, withTimers = false): Promise<PhaseRun> {
  const handled: HandledJob[] = []
  const workers = await startBenchWorkers({ config, camunda, db, kind, streaming, recorded, onJobHandled: (job) => handled.push(job) })
  const bar = progressBar(label, count)
  const timers = withTimers ? startTimers(zeebe, { everyMs: settings.timerEveryMs, leadMs: 2000, max: 100000 }) : undefined
  let drive
  try {
    drive = await driveOrders({
      zeebe,
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
  await sleep(2000) // the last records reach the search index
  const overhead = await engineOverhead(completedJobs)
  return {
    figures: {
      workers: kind,
      streaming,
      orders: count,
      completed: done.length,
      timedOut: drive.timedOut,
      durationS,
      ordersPerS: done.length / durationS,
      jobs: completedJobs.length,
      jobsPerS: completedJobs.length / durationS,
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
  await deployBenchResources(camunda)
  const memory = memoryPeaks(config)

  const idleTimers = startTimers(zeebe, {
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

  if (settings.warmup) await phase('warm-up', '0', 'real', true, settings.warmup)
  const realStreaming = await phase('real·streaming', '1', 'real', true, settings.orders)
  const noopStreaming = await phase('no-op·streaming', '2', 'no-op', true, settings.orders)
  const realPolling = await phase('real·polling', '3', 'real', false, settings.orders)
  // Timers under load get a phase of their own, so their load does not weigh on one of the three compared above.
  const loaded = await phase('timers under load', '4', 'real', true, settings.orders, true)
  const memoryPeakMiB = await memory.stop()

  const offsets = summarise(realStreaming.clockOffsets)
  const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b)
  const partial: Omit<BenchResult, 'targets'> = {
    startedAt: runStarted.toISOString(),
    durationS: (Date.now() - runStarted.getTime()) / 1000,
    commit: commit(),
    machine: await machine(),
    settings,
    phases: { realStreaming: realStreaming.figures, noopStreaming: noopStreaming.figures, realPolling: realPolling.figures },
    timers: { idle, underLoad: loaded.underLoad! },
    ratios: {
      realOverNoopThroughput: ratio(realStreaming.figures.ordersPerS, noopStreaming.figures.ordersPerS),
      streamingOverPollingOverheadP50: ratio(realStreaming.figures.createdToHandlerMs.p50, realPolling.figures.createdToHandlerMs.p50),
    },
    engineClockOffsetMs: offsets.p50,
    loadAverage: { atStart: loadAtStart, atEnd: os.loadavg() },
    memoryPeakMiB,
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
  await atMost(zeebe.close())
  await atMost(db.destroy())
  await dropDatabase(databaseUrl).catch((error) => say(`could not drop the benchmark database: ${error}`))
}
process.exit(exitCode)
