/** The benchmark's result: its JSON shape, the targets, and the markdown table. */
import type { AuditorPageFigures } from './auditor-page.ts'
import type { SetupName } from './engines.ts'
import type { MemorySample } from './memory.ts'
import type { Summary } from './stats.ts'
import type { TimerFigures } from './timers.ts'
import type { CpuFigures, Footprint } from './usage.ts'
import type { Polling, WorkerKind } from './workers.ts'

export interface PhaseFigures {
  workers: WorkerKind
  polling: Polling
  orders: number
  completed: number
  timedOut: boolean
  durationS: number
  ordersPerS: number
  /** External tasks completed (every one is a service task). */
  serviceTasks: number
  serviceTasksPerS: number
  userTasks: number
  messages: number
  endToEndMs: Summary
  /** The driver's reaction: user task created / message subscription opened → its REST call. */
  driverReactionMs: Summary
  /** Service task started (its external task created) → handler start. */
  createdToHandlerMs: Summary
  /** Handler end → the next activity's start in the same instance. */
  handlerToNextMs: Summary
  /** Handler start → end, by topic (without the `bench-` prefix): the workers' own work. */
  handlerMsByTopic: Record<string, Summary>
  /** Handler end → the engine answered the completion (or BPMN error): the engine's transaction for it, as the worker waits. */
  reportMs: Summary
  /** CPU seconds used during the phase (engine nodes, workers + driver, PostgreSQL backends). */
  cpu: CpuFigures
}

export interface Target {
  name: string
  target: string
  measured: string
  met: boolean
}

/** One engine set-up's run: its phases on the same diagrams, its timers, memory and costs per order. */
export interface EngineRun {
  name: SetupName
  label: string
  database: 'H2' | 'PostgreSQL'
  nodes: number
  /** Milliseconds from start to every node answering (null: an engine the benchmark did not start). */
  startMs: number | null
  phases: { realLongPoll: PhaseFigures; noopLongPoll: PhaseFigures; realShortPoll?: PhaseFigures }
  timers: { idle: TimerFigures; underLoad: TimerFigures }
  ratios: { realOverNoopThroughput: number | null; longOverShortPollOverheadP50: number | null }
  /** Engine start time of each order's instance minus the wall clock just before the start call (median); large values mean clocks apart. */
  engineClockOffsetMs: number | null
  memoryPeakMiB: MemorySample
  /**
   * Per completed order of the real workers' long-poll phase (history level full): CPU seconds,
   * and what the order added to the engine's database (tables ACT_*; null on H2) and to the order
   * database (every table).
   */
  perOrder: {
    engineCpuS: number | null
    workersCpuS: number
    postgresCpuS: number | null
    engineDatabase: Footprint | null
    orderDatabase: Footprint
  }
}

export interface BenchResult {
  startedAt: string
  durationS: number
  commit: string
  machine: { cores: number; memoryMiB: number; cpu: string; node: string; operaton: string; postgres: string; os: string }
  settings: {
    engines: SetupName[]
    orders: number
    concurrency: number
    warmup: number
    phaseTimeoutS: number
    timerIdleS: number
    timerEveryMs: number
    pollHoldMs: number
    shortPollMs: number
    maxJobsActive: number
    pageRuns: number
    driverTickMs: number
  }
  engines: EngineRun[]
  /** The machine's 1, 5 and 15 minute load averages when the run started and ended (others' work shows here). */
  loadAverage: { atStart: number[]; atEnd: number[] }
  /** The auditor view's order page with a long story (scripts/bench/auditor-page.ts), on the first engine; null with --page-runs 0. */
  auditorPage: AuditorPageFigures | null
  targets: Target[]
}

const ms = (value: number | null) => (value === null ? '–' : `${Math.round(value)} ms`)
const n = (value: number, digits = 2) => value.toFixed(digits)
const sum = (values: (number | null)[]) => (values.some((v) => v === null) || !values.length ? null : values.reduce<number>((a, b) => a + (b ?? 0), 0))
const maxOf = (values: (number | null)[]) => (values.some((v) => v === null) || !values.length ? null : Math.max(...(values as number[])))

export function targetsOf(result: Omit<BenchResult, 'targets'>): Target[] {
  const targets: Target[] = []
  for (const run of result.engines) {
    const { realLongPoll } = run.phases
    const ratio = run.ratios.realOverNoopThroughput
    const pickup = realLongPoll.createdToHandlerMs
    const timer = run.timers.underLoad
    const rss = maxOf(run.memoryPeakMiB.engineNodesRssMiB)
    targets.push(
      {
        name: `${run.label}: service tasks completed per second (full order flow, real workers, long poll)`,
        target: '≥ 40 /s',
        measured: `${n(realLongPoll.serviceTasksPerS, 1)} /s`,
        met: realLongPoll.serviceTasksPerS >= 40,
      },
      {
        name: `${run.label}: real / no-op completed throughput`,
        target: '≥ 0.8',
        measured: ratio === null ? '–' : n(ratio),
        met: ratio !== null && ratio >= 0.8,
      },
      {
        name: `${run.label}: pickup (task created → handler start), real workers, long poll`,
        target: 'p50 ≤ 30 ms, p99 ≤ 250 ms',
        measured: `p50 ${ms(pickup.p50)}, p99 ${ms(pickup.p99)}`,
        met: pickup.p50 !== null && pickup.p50 <= 30 && pickup.p99 !== null && pickup.p99 <= 250,
      },
      {
        name: `${run.label}: timer lateness under load`,
        target: 'p99 ≤ 1 s, never early',
        measured: `p99 ${ms(timer.p99)}, ${timer.early} early, ${timer.notFired} not fired`,
        met: timer.p99 !== null && timer.p99 <= 1000 && timer.early === 0 && timer.notFired === 0,
      },
      {
        name: `${run.label}: engine resident memory, peak per node`,
        target: '≤ 600 MiB',
        measured: run.memoryPeakMiB.engineNodesRssMiB.map((v) => (v === null ? '–' : `${Math.round(v)} MiB`)).join(', ') || '–',
        met: rss !== null && rss <= 600,
      },
    )
    const short = run.phases.realShortPoll
    if (short) {
      const pollRatio = run.ratios.longOverShortPollOverheadP50
      targets.push({
        name: `${run.label}: long-poll pickup p50 against short polling (${result.settings.shortPollMs} ms)`,
        target: '≤ 0.5 × short polling',
        measured: `${pollRatio === null ? '–' : n(pollRatio)} × short polling (${ms(pickup.p50)} against ${ms(short.createdToHandlerMs.p50)})`,
        met: pollRatio !== null && pollRatio <= 0.5,
      })
    }
  }
  const page = result.auditorPage
  if (page) {
    targets.push({
      name: `auditor order page (${page.historyRows} timeline rows, ${page.instances} instances), whole page p50`,
      target: '< 1 s',
      measured: `${ms(page.pageMs.p50)} (story answer ${ms(page.storyAnswerMs.p50)})`,
      met: page.pageMs.p50 !== null && page.pageMs.p50 < 1000,
    })
  }
  return targets
}

/** The run each set-up is compared with: PostgreSQL with H2, two nodes with one. */
export function baselineOf(runs: EngineRun[], run: EngineRun): EngineRun | undefined {
  if (run.name === 'pg') return runs.find((r) => r.name === 'h2')
  if (run.name === 'pg2') return runs.find((r) => r.name === 'pg')
  return undefined
}

const times = (value: number | null, base: number | null | undefined) =>
  value === null || base === null || base === undefined || base === 0 ? '' : ` (${n(value / base)}×)`

/** The slowest topic's figures stand for all: p50 and p99 of the topic with the highest p99. */
const allHandlers = (p: PhaseFigures): Summary =>
  Object.values(p.handlerMsByTopic).reduce<Summary>((worst, s) => ((s.p99 ?? 0) > (worst.p99 ?? -1) ? s : worst), { count: 0, p50: null, p99: null, min: null, max: null })

const kib = (bytes: number) => `${n(bytes / 1024, 1)} KiB`

export function markdown(result: BenchResult): string {
  const runs = result.engines
  const header = `| figure | ${runs.map((run) => run.label + (baselineOf(runs, run) ? ` (× ${baselineOf(runs, run)!.label})` : '')).join(' | ')} |`
  type Cell = (run: EngineRun) => { value: number | null; text: string }
  const row = (name: string, cell: Cell) =>
    `| ${name} | ${runs
      .map((run) => {
        const own = cell(run)
        const base = baselineOf(runs, run)
        return `${own.text}${base ? times(own.value, cell(base).value) : ''}`
      })
      .join(' | ')} |`
  const fig = (value: number | null, text: string) => ({ value, text })
  const rate = (p: PhaseFigures, field: 'ordersPerS' | 'serviceTasksPerS', digits: number) => fig(p[field], `${n(p[field], digits)}`)
  const pct = (s: Summary) => fig(s.p50, `${ms(s.p50)} / ${ms(s.p99)}`)
  const perOrder = (value: number | null, digits = 2, unit = ' s') => fig(value, value === null ? '–' : `${n(value, digits)}${unit}`)
  const cpuPerOrder = (p: PhaseFigures, which: 'engine' | 'workers' | 'postgres') => {
    const used = which === 'engine' ? sum(p.cpu.engineNodesS) : which === 'workers' ? p.cpu.workersS : p.cpu.postgresS
    return perOrder(used === null || !p.completed ? null : used / p.completed, 3)
  }
  const lines = [
    `Benchmark ${result.startedAt} · commit ${result.commit} · ${result.machine.cores} cores, ${Math.round(result.machine.memoryMiB / 1024)} GiB · Operaton ${result.machine.operaton}, history level full · PostgreSQL ${result.machine.postgres} · load average ${result.loadAverage.atStart[0].toFixed(1)} at the start, ${result.loadAverage.atEnd[0].toFixed(1)} at the end · ${result.settings.orders} orders per phase, ${result.settings.concurrency} in flight`,
    '',
    header,
    `|---|${runs.map(() => '---').join('|')}|`,
    row('orders done (real · no-op)', (run) => fig(null, `${run.phases.realLongPoll.completed}/${run.phases.realLongPoll.orders}${run.phases.realLongPoll.timedOut ? ' (timed out)' : ''} · ${run.phases.noopLongPoll.completed}/${run.phases.noopLongPoll.orders}${run.phases.noopLongPoll.timedOut ? ' (timed out)' : ''}`)),
    row('service tasks/s, real workers', (run) => rate(run.phases.realLongPoll, 'serviceTasksPerS', 1)),
    row('service tasks/s, no-op workers', (run) => rate(run.phases.noopLongPoll, 'serviceTasksPerS', 1)),
    row('real / no-op throughput', (run) => fig(run.ratios.realOverNoopThroughput, run.ratios.realOverNoopThroughput === null ? '–' : n(run.ratios.realOverNoopThroughput))),
    row('orders/s, real workers', (run) => rate(run.phases.realLongPoll, 'ordersPerS', 3)),
    row('orders/s, no-op workers', (run) => rate(run.phases.noopLongPoll, 'ordersPerS', 3)),
    row('pickup (task created → handler) p50 / p99, real', (run) => pct(run.phases.realLongPoll.createdToHandlerMs)),
    row('pickup p50 / p99, no-op', (run) => pct(run.phases.noopLongPoll.createdToHandlerMs)),
    row('handler end → next element p50 / p99, real', (run) => pct(run.phases.realLongPoll.handlerToNextMs)),
    row('handler p50 / p99, real (slowest topic)', (run) => pct(allHandlers(run.phases.realLongPoll))),
    row('completion call (handler end → engine answered) p50 / p99, real', (run) => pct(run.phases.realLongPoll.reportMs)),
    row('order end to end p50 / p99, real', (run) => pct(run.phases.realLongPoll.endToEndMs)),
    row('driver reaction p50 / p99, real', (run) => pct(run.phases.realLongPoll.driverReactionMs)),
    row('timer lateness idle p50 / p99', (run) => fig(run.timers.idle.p50, `${ms(run.timers.idle.p50)} / ${ms(run.timers.idle.p99)}${run.timers.idle.early ? `, ${run.timers.idle.early} early` : ''}`)),
    row('timer lateness under load p50 / p99', (run) => fig(run.timers.underLoad.p50, `${ms(run.timers.underLoad.p50)} / ${ms(run.timers.underLoad.p99)}${run.timers.underLoad.early ? `, ${run.timers.underLoad.early} early` : ''}`)),
    row('engine CPU per order, real (all nodes)', (run) => cpuPerOrder(run.phases.realLongPoll, 'engine')),
    row('engine CPU per order, no-op', (run) => cpuPerOrder(run.phases.noopLongPoll, 'engine')),
    row('engine CPU by node, real phase', (run) => fig(null, run.phases.realLongPoll.cpu.engineNodesS.map((v) => (v === null ? '–' : `${n(v, 1)} s`)).join(' + '))),
    row('workers + driver CPU per order, real', (run) => cpuPerOrder(run.phases.realLongPoll, 'workers')),
    row('PostgreSQL backends CPU per order, real', (run) => cpuPerOrder(run.phases.realLongPoll, 'postgres')),
    row('engine resident memory, peak per node', (run) => fig(maxOf(run.memoryPeakMiB.engineNodesRssMiB), run.memoryPeakMiB.engineNodesRssMiB.map((v) => (v === null ? '–' : `${Math.round(v)} MiB`)).join(', ') || '–')),
    row('workers + driver resident memory, peak', (run) => fig(run.memoryPeakMiB.workersRssMiB, run.memoryPeakMiB.workersRssMiB === null ? '–' : `${Math.round(run.memoryPeakMiB.workersRssMiB)} MiB`)),
    row('engine database rows per order', (run) => perOrder(run.perOrder.engineDatabase?.rows ?? null, 0, '')),
    row('engine database bytes per order', (run) => fig(run.perOrder.engineDatabase?.bytes ?? null, run.perOrder.engineDatabase ? kib(run.perOrder.engineDatabase.bytes) : '–')),
    row('order database rows per order', (run) => perOrder(run.perOrder.orderDatabase.rows, 0, '')),
    row('order database bytes per order', (run) => fig(run.perOrder.orderDatabase.bytes, kib(run.perOrder.orderDatabase.bytes))),
    row('engine start (every node answering)', (run) => fig(run.startMs, run.startMs === null ? '–' : `${n(run.startMs / 1000, 1)} s`)),
  ]
  const withShort = runs.filter((run) => run.phases.realShortPoll)
  for (const run of withShort) {
    const short = run.phases.realShortPoll!
    lines.push(
      '',
      `Short polling (${result.settings.shortPollMs} ms after an empty answer), ${run.label}: ${short.completed}/${short.orders} orders, ${n(short.serviceTasksPerS, 1)} service tasks/s, pickup p50 / p99 ${ms(short.createdToHandlerMs.p50)} / ${ms(short.createdToHandlerMs.p99)}; long polling's pickup p50 is ${run.ratios.longOverShortPollOverheadP50 === null ? '–' : n(run.ratios.longOverShortPollOverheadP50)} × that.`,
    )
  }
  const engineTables = runs.find((run) => run.perOrder.engineDatabase)
  if (engineTables?.perOrder.engineDatabase) {
    const top = Object.entries(engineTables.perOrder.engineDatabase.tables).sort((a, b) => b[1] - a[1])
    const bytes = engineTables.perOrder.engineDatabase.tableBytes
    lines.push('', `Engine database per order by table (${engineTables.label}; rows, KiB): ${top.map(([name, rows]) => `${name} ${n(rows, 1)}, ${n((bytes[name] ?? 0) / 1024, 1)}`).join(' · ')}`)
  }
  const page = result.auditorPage
  if (page) {
    lines.push(
      '',
      `| auditor order page (${page.historyRows} timeline rows, ${page.instances} instances), on ${runs[0].label} | p50 | p99 | min | max |`,
      '|---|---|---|---|---|',
      ...(
        [
          ['story answer (GET /auditor/api/orders/:n)', page.storyAnswerMs],
          ['whole page in Chromium (diagrams drawn, timeline shown)', page.pageMs],
        ] as const
      ).map(([name, f]) => `| ${name} | ${ms(f.p50)} | ${ms(f.p99)} | ${ms(f.min)} | ${ms(f.max)} |`),
    )
  }
  lines.push('', '| target | wanted | measured | met |', '|---|---|---|---|', ...result.targets.map((t) => `| ${t.name} | ${t.target} | ${t.measured} | ${t.met ? 'yes' : 'no'} |`))
  for (const run of runs) {
    if (run.engineClockOffsetMs !== null && Math.abs(run.engineClockOffsetMs) > 2000) {
      lines.push('', `Warning: the ${run.label} engine's clock is ${Math.round(run.engineClockOffsetMs)} ms off the wall clock; its latencies are not meaningful.`)
    }
  }
  return lines.join('\n')
}
