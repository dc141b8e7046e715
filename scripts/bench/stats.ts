/** Percentiles and the engine-overhead figures computed from the engine's history and the workers' timings. */
import type { HandledJob } from '../../lib/worker-runtime.ts'
import { engineTime, type EngineHistory, type HistoricActivity } from './history.ts'

export interface Summary {
  count: number
  p50: number | null
  p99: number | null
  min: number | null
  max: number | null
}

/** Nearest-rank percentiles (ms); nulls when there is nothing to summarise. */
export function summarise(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null)
  return { count: sorted.length, p50: at(50), p99: at(99), min: sorted[0] ?? null, max: sorted.at(-1) ?? null }
}

/**
 * Per external task: its activity instance's start (the engine creates the task in the same
 * transaction) → the handler's start (the worker's clock; same machine), and the handler's end →
 * the start of the next activity in the same instance after the service task ended. Also how
 * many of the tasks were service tasks (all are, today: the count checks the history found them).
 */
export async function engineOverhead(
  history: EngineHistory,
  jobs: HandledJob[],
): Promise<{ createdToHandler: Summary; handlerToNext: Summary; serviceTasks: number; unmatched: number }> {
  const activities = new Map<string, HistoricActivity[]>()
  for (const id of new Set(jobs.map((j) => j.processInstanceKey))) activities.set(id, await history.activities(id))
  const toHandler: number[] = []
  const toNext: number[] = []
  let unmatched = 0
  let serviceTasks = 0
  for (const job of jobs) {
    const all = activities.get(job.processInstanceKey) ?? []
    const own = all.find((a) => a.id === job.elementInstanceKey)
    if (!own) {
      unmatched++
      continue
    }
    if (own.activityType === 'serviceTask') serviceTasks++
    toHandler.push(job.handlerStartedAt - engineTime(own.startTime))
    if (!own.endTime) continue
    const ended = engineTime(own.endTime)
    const next = all.filter((a) => a.id !== own.id && engineTime(a.startTime) >= ended).sort((a, b) => engineTime(a.startTime) - engineTime(b.startTime))[0]
    if (next) toNext.push(engineTime(next.startTime) - job.handlerEndedAt)
  }
  return { createdToHandler: summarise(toHandler), handlerToNext: summarise(toNext), serviceTasks, unmatched }
}
