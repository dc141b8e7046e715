/** Percentiles and the engine-overhead figures computed from the exported records and the workers' timings. */
import type { HandledJob } from '../../lib/worker-runtime.ts'
import { allRecords, chunks, terms } from './records.ts'

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

interface JobValue {
  jobKind?: string
}

/**
 * Per job: engine time of its creation → handler start (the worker's clock; same machine), and
 * handler end → the first element activation in the same instance after the engine completed the
 * job (the next element for a service task; the element itself for a start listener). Also how
 * many of the jobs were service tasks (the rest are execution listeners).
 */
export async function engineOverhead(
  jobs: HandledJob[],
): Promise<{ createdToHandler: Summary; handlerToNext: Summary; serviceTasks: number; unmatched: number }> {
  const created = new Map<string, { timestamp: number; kind: string }>()
  const completedAt = new Map<string, number>()
  for (const part of chunks(jobs.map((j) => j.key))) {
    const records = await allRecords<JobValue>('job', [{ terms: { intent: ['CREATED', 'COMPLETED'] } }, terms('key', part)], [
      'key',
      'intent',
      'timestamp',
      'position',
      'value.jobKind',
    ])
    for (const record of records) {
      if (record.intent === 'CREATED') created.set(String(record.key), { timestamp: record.timestamp, kind: record.value.jobKind ?? 'BPMN_ELEMENT' })
      else completedAt.set(String(record.key), record.position)
    }
  }
  const activations = new Map<string, { timestamp: number; position: number }[]>()
  for (const part of chunks([...new Set(jobs.map((j) => j.processInstanceKey))])) {
    const records = await allRecords<{ processInstanceKey: number }>(
      'process-instance',
      [{ term: { intent: 'ELEMENT_ACTIVATED' } }, terms('value.processInstanceKey', part)],
      ['timestamp', 'position', 'value.processInstanceKey'],
    )
    for (const record of records) {
      const key = String(record.value.processInstanceKey)
      activations.set(key, [...(activations.get(key) ?? []), record])
    }
  }
  const toHandler: number[] = []
  const toNext: number[] = []
  let unmatched = 0
  let serviceTasks = 0
  for (const job of jobs) {
    const creation = created.get(job.key)
    if (!creation) {
      unmatched++
      continue
    }
    if (creation.kind === 'BPMN_ELEMENT') serviceTasks++
    toHandler.push(job.handlerStartedAt - creation.timestamp)
    const done = completedAt.get(job.key)
    // One instance lives on one partition, so log positions order its records.
    const next = done === undefined ? undefined : (activations.get(job.processInstanceKey) ?? []).find((r) => r.position > done)
    if (next) toNext.push(next.timestamp - job.handlerEndedAt)
  }
  return { createdToHandler: summarise(toHandler), handlerToNext: summarise(toNext), serviceTasks, unmatched }
}
