/** The benchmark's result: its JSON shape, the targets of issue 8, and the markdown table. */
import type { MemorySample } from './memory.ts'
import type { Summary } from './stats.ts'
import type { TimerFigures } from './timers.ts'

export interface PhaseFigures {
  workers: 'real' | 'no-op'
  streaming: boolean
  orders: number
  completed: number
  timedOut: boolean
  durationS: number
  ordersPerS: number
  /** Jobs completed: service tasks and execution listeners. */
  jobs: number
  jobsPerS: number
  serviceTasks: number
  serviceTasksPerS: number
  userTasks: number
  messages: number
  endToEndMs: Summary
  /** The driver's reaction: user task created / message subscription opened → its REST or gRPC call. */
  driverReactionMs: Summary
  createdToHandlerMs: Summary
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
  machine: { cores: number; memoryMiB: number; cpu: string; node: string; camunda: string; opensearch: string; postgres: string; os: string }
  settings: { orders: number; concurrency: number; warmup: number; phaseTimeoutS: number; timerIdleS: number; timerEveryMs: number; pollIntervalMs: number; maxJobsActive: number }
  phases: { realStreaming: PhaseFigures; noopStreaming: PhaseFigures; realPolling: PhaseFigures }
  timers: { idle: TimerFigures; underLoad: TimerFigures }
  ratios: { realOverNoopThroughput: number | null; streamingOverPollingOverheadP50: number | null }
  /** Engine record time minus wall clock at instance creation (median); large values mean a pinned engine clock. */
  engineClockOffsetMs: number | null
  /** The machine's 1, 5 and 15 minute load averages when the run started and ended (others' work shows here). */
  loadAverage: { atStart: number[]; atEnd: number[] }
  memoryPeakMiB: MemorySample
  targets: Target[]
}

const ms = (value: number | null) => (value === null ? '–' : `${Math.round(value)} ms`)
const n = (value: number, digits = 2) => value.toFixed(digits)

export function targetsOf(result: Omit<BenchResult, 'targets'>): Target[] {
  const { realStreaming, realPolling } = result.phases
  const throughputRatio = result.ratios.realOverNoopThroughput
  const streamP50 = realStreaming.createdToHandlerMs.p50
  const pollRatio = result.ratios.streamingOverPollingOverheadP50
  const timer = result.timers.underLoad
  return [
    {
      name: 'real / no-op completed throughput',
      target: '≥ 0.8',
      measured: throughputRatio === null ? '–' : n(throughputRatio),
      met: throughputRatio !== null && throughputRatio >= 0.8,
    },
    {
      name: 'streaming engine overhead p50 (job created → handler start)',
      target: '≤ 30 ms and ≤ 0.5 × polling',
      measured: `${ms(streamP50)}; ${pollRatio === null ? '–' : n(pollRatio)} × polling (${ms(realPolling.createdToHandlerMs.p50)})`,
      met: streamP50 !== null && streamP50 <= 30 && pollRatio !== null && pollRatio <= 0.5,
    },
    {
      name: 'timer lateness under load',
      target: 'p99 ≤ 1 s, never early',
      measured: `p99 ${ms(timer.p99)}, ${timer.early} early, ${timer.notFired} not fired`,
      met: timer.p99 !== null && timer.p99 <= 1000 && timer.early === 0 && timer.notFired === 0,
    },
    {
      name: 'service tasks completed per second (real workers, streaming)',
      target: '≥ 20 /s',
      measured: `${n(realStreaming.serviceTasksPerS, 1)} /s`,
      met: realStreaming.serviceTasksPerS >= 20,
    },
  ]
}

export function markdown(result: BenchResult): string {
  const phases: [string, PhaseFigures][] = [
    ['real workers, streaming', result.phases.realStreaming],
    ['no-op workers, streaming', result.phases.noopStreaming],
    ['real workers, polling', result.phases.realPolling],
  ]
  const lines = [
    `Benchmark ${result.startedAt} · commit ${result.commit} · ${result.machine.cores} cores, ${Math.round(result.machine.memoryMiB / 1024)} GiB · Camunda ${result.machine.camunda} · load average ${result.loadAverage.atStart[0].toFixed(1)} at the start, ${result.loadAverage.atEnd[0].toFixed(1)} at the end`,
    '',
    '| phase | orders done | orders/s | service tasks/s (all jobs/s) | end-to-end p50 / p99 | driver reaction p50 | job created → handler p50 / p99 | handler end → next element p50 / p99 |',
    '|---|---|---|---|---|---|---|---|',
    ...phases.map(
      ([name, p]) =>
        `| ${name} | ${p.completed}/${p.orders}${p.timedOut ? ' (timed out)' : ''} | ${n(p.ordersPerS, 3)} | ${n(p.serviceTasksPerS, 1)} (${n(p.jobsPerS, 1)}) | ${ms(p.endToEndMs.p50)} / ${ms(p.endToEndMs.p99)} | ${ms(p.driverReactionMs.p50)} | ${ms(p.createdToHandlerMs.p50)} / ${ms(p.createdToHandlerMs.p99)} | ${ms(p.handlerToNextMs.p50)} / ${ms(p.handlerToNextMs.p99)} |`,
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
    '| resident memory (peak) | MiB |',
    '|---|---|',
    `| engine (Camunda JVM) | ${result.memoryPeakMiB.engineRssMiB?.toFixed(0) ?? '–'} |`,
    `| OpenSearch | ${result.memoryPeakMiB.searchRssMiB?.toFixed(0) ?? '–'} |`,
    `| workers + driver (this process) | ${result.memoryPeakMiB.workersRssMiB?.toFixed(0) ?? '–'} |`,
    `| PostgreSQL (${result.memoryPeakMiB.postgresProcesses} processes, PSS) | ${result.memoryPeakMiB.postgresPssMiB?.toFixed(0) ?? '–'} |`,
    '',
    '| target | wanted | measured | met |',
    '|---|---|---|---|',
    ...result.targets.map((t) => `| ${t.name} | ${t.target} | ${t.measured} | ${t.met ? 'yes' : 'no'} |`),
  ]
  if (result.engineClockOffsetMs !== null && Math.abs(result.engineClockOffsetMs) > 2000) {
    lines.push('', `Warning: the engine clock is ${Math.round(result.engineClockOffsetMs)} ms off the wall clock (pinned?); latencies are not meaningful.`)
  }
  return lines.join('\n')
}
