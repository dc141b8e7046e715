/** The benchmark's result: its JSON shape, the targets, and the markdown table. */
import type { AuditorPageFigures } from './auditor-page.ts'
import type { MemorySample } from './memory.ts'
import type { Summary } from './stats.ts'
import type { TimerFigures } from './timers.ts'
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
}

export interface Target {
  name: string
  target: string
  measured: string
  met: boolean
}

export interface BenchResult {
  startedAt: string
  durationS: number
  commit: string
  machine: { cores: number; memoryMiB: number; cpu: string; node: string; operaton: string; engineDatabase: string; postgres: string; os: string }
  settings: { orders: number; concurrency: number; warmup: number; phaseTimeoutS: number; timerIdleS: number; timerEveryMs: number; pollHoldMs: number; shortPollMs: number; maxJobsActive: number; pageRuns: number }
  phases: { realLongPoll: PhaseFigures; noopLongPoll: PhaseFigures; realShortPoll: PhaseFigures }
  timers: { idle: TimerFigures; underLoad: TimerFigures }
  ratios: { realOverNoopThroughput: number | null; longOverShortPollOverheadP50: number | null }
  /** Engine start time of each order's instance minus the wall clock just before the start call (median); large values mean clocks apart. */
  engineClockOffsetMs: number | null
  /** The machine's 1, 5 and 15 minute load averages when the run started and ended (others' work shows here). */
  loadAverage: { atStart: number[]; atEnd: number[] }
  memoryPeakMiB: MemorySample
  /** The auditor view's order page with a long story (scripts/bench/auditor-page.ts). */
  auditorPage: AuditorPageFigures
  targets: Target[]
}

const ms = (value: number | null) => (value === null ? '–' : `${Math.round(value)} ms`)
const n = (value: number, digits = 2) => value.toFixed(digits)

export function targetsOf(result: Omit<BenchResult, 'targets'>): Target[] {
  const { realLongPoll, realShortPoll } = result.phases
  const throughputRatio = result.ratios.realOverNoopThroughput
  const longP50 = realLongPoll.createdToHandlerMs.p50
  const pollRatio = result.ratios.longOverShortPollOverheadP50
  const timer = result.timers.underLoad
  return [
    {
      name: 'real / no-op completed throughput',
      target: '≥ 0.8',
      measured: throughputRatio === null ? '–' : n(throughputRatio),
      met: throughputRatio !== null && throughputRatio >= 0.8,
    },
    {
      name: 'long-poll engine overhead p50 (task created → handler start)',
      target: '≤ 30 ms and ≤ 0.5 × short polling',
      measured: `${ms(longP50)}; ${pollRatio === null ? '–' : n(pollRatio)} × short polling (${ms(realShortPoll.createdToHandlerMs.p50)})`,
      met: longP50 !== null && longP50 <= 30 && pollRatio !== null && pollRatio <= 0.5,
    },
    {
      name: 'timer lateness under load',
      target: 'p99 ≤ 1 s, never early',
      measured: `p99 ${ms(timer.p99)}, ${timer.early} early, ${timer.notFired} not fired`,
      met: timer.p99 !== null && timer.p99 <= 1000 && timer.early === 0 && timer.notFired === 0,
    },
    {
      name: `auditor order page (${result.auditorPage.historyRows} timeline rows, ${result.auditorPage.instances} instances), whole page p50`,
      target: '< 1 s',
      measured: `${ms(result.auditorPage.pageMs.p50)} (story answer ${ms(result.auditorPage.storyAnswerMs.p50)})`,
      met: result.auditorPage.pageMs.p50 !== null && result.auditorPage.pageMs.p50 < 1000,
    },
    {
      name: 'service tasks completed per second (real workers, long poll)',
      target: '≥ 20 /s',
      measured: `${n(realLongPoll.serviceTasksPerS, 1)} /s`,
      met: realLongPoll.serviceTasksPerS >= 20,
    },
  ]
}

export function markdown(result: BenchResult): string {
  const phases: [string, PhaseFigures][] = [
    ['real workers, long poll', result.phases.realLongPoll],
    ['no-op workers, long poll', result.phases.noopLongPoll],
    [`real workers, short poll (${result.settings.shortPollMs} ms)`, result.phases.realShortPoll],
  ]
  const lines = [
    `Benchmark ${result.startedAt} · commit ${result.commit} · ${result.machine.cores} cores, ${Math.round(result.machine.memoryMiB / 1024)} GiB · Operaton ${result.machine.operaton} on ${result.machine.engineDatabase} · load average ${result.loadAverage.atStart[0].toFixed(1)} at the start, ${result.loadAverage.atEnd[0].toFixed(1)} at the end`,
    '',
    '| phase | orders done | orders/s | service tasks/s | end-to-end p50 / p99 | driver reaction p50 / p99 | task created → handler p50 / p99 | handler end → next element p50 / p99 |',
    '|---|---|---|---|---|---|---|---|',
    ...phases.map(
      ([name, p]) =>
        `| ${name} | ${p.completed}/${p.orders}${p.timedOut ? ' (timed out)' : ''} | ${n(p.ordersPerS, 3)} | ${n(p.serviceTasksPerS, 1)} | ${ms(p.endToEndMs.p50)} / ${ms(p.endToEndMs.p99)} | ${ms(p.driverReactionMs.p50)} / ${ms(p.driverReactionMs.p99)} | ${ms(p.createdToHandlerMs.p50)} / ${ms(p.createdToHandlerMs.p99)} | ${ms(p.handlerToNextMs.p50)} / ${ms(p.handlerToNextMs.p99)} |`,
    ),
    '',
    '| timers | fired | lateness p50 | p99 | max | early |',
    '|---|---|---|---|---|---|',
    ...(
      [
        ['idle', result.timers.idle],
        ['under load', result.timers.underLoad],
      ] as const
    ).map(([name, t]) => `| ${name} | ${t.count}/${t.count + t.notFired} | ${ms(t.p50)} | ${ms(t.p99)} | ${ms(t.max)} | ${t.early} |`),
    '',
    `| auditor order page (${result.auditorPage.historyRows} timeline rows, ${result.auditorPage.instances} instances) | p50 | p99 | min | max |`,
    '|---|---|---|---|---|',
    ...(
      [
        ['story answer (GET /auditor/api/orders/:n)', result.auditorPage.storyAnswerMs],
        ['whole page in Chromium (diagrams drawn, timeline shown)', result.auditorPage.pageMs],
      ] as const
    ).map(([name, f]) => `| ${name} | ${ms(f.p50)} | ${ms(f.p99)} | ${ms(f.min)} | ${ms(f.max)} |`),
    '',
    '| resident memory (peak) | MiB |',
    '|---|---|',
    `| engine (Operaton JVM) | ${result.memoryPeakMiB.engineRssMiB?.toFixed(0) ?? '–'} |`,
    `| workers + driver (this process) | ${result.memoryPeakMiB.workersRssMiB?.toFixed(0) ?? '–'} |`,
    `| PostgreSQL (${result.memoryPeakMiB.postgresProcesses} processes, PSS) | ${result.memoryPeakMiB.postgresPssMiB?.toFixed(0) ?? '–'} |`,
    '',
    '| target | wanted | measured | met |',
    '|---|---|---|---|',
    ...result.targets.map((t) => `| ${t.name} | ${t.target} | ${t.measured} | ${t.met ? 'yes' : 'no'} |`),
  ]
  if (result.engineClockOffsetMs !== null && Math.abs(result.engineClockOffsetMs) > 2000) {
    lines.push('', `Warning: the engine clock is ${Math.round(result.engineClockOffsetMs)} ms off the wall clock; latencies are not meaningful.`)
  }
  return lines.join('\n')
}
