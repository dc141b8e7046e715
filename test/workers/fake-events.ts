/** An in-memory `events` (the order history's exactly-once step) for worker unit tests. */
import type { Knex } from 'knex'
import type { StepKey, StepResult } from '../../lib/repositories/order-events.ts'

/**
 * `events.once` as the repository behaves: the first run of a (step, job key) does the work, and
 * a redelivery gets the stored result. `steps` lists the keys whose work completed, in order.
 */
export function fakeEvents() {
  const steps: StepKey[] = []
  const results = new Map<string, unknown>()
  const events = {
    once: async <R>(key: StepKey, work: (trx: Knex.Transaction) => Promise<StepResult<R>>) => {
      const id = `${key.step}/${key.job_key}`
      if (!results.has(id)) {
        const result = (await work({} as Knex.Transaction)).result
        steps.push(key)
        results.set(id, result)
      }
      return results.get(id) as R
    },
  }
  return { steps, events }
}
