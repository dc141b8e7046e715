/**
 * Timer lateness: starts `bench-timer` instances, each waiting until an instant a little ahead
 * (`dueAt`), one every `everyMs` while `running()` holds, and measures from the exported TIMER
 * records how late each fired: the TRIGGERED record's time minus the due date. Negative = early.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { allRecords, chunks, terms } from './records.ts'
import { summarise, type Summary } from './stats.ts'
import { timerProcess } from './diagrams.ts'

type ZeebeClient = ReturnType<import('@camunda8/sdk').Camunda8['getZeebeGrpcApiClient']>

export interface TimerFigures extends Summary {
  early: number
  notFired: number
}

export function startTimers(zeebe: ZeebeClient, options: { everyMs: number; leadMs: number; max: number }) {
  const keys: string[] = []
  let stopped = false
  let failure: Error | undefined
  const loop = (async () => {
    while (!stopped && keys.length < options.max) {
      // Due on a whole 100 ms, a little ahead, so the engine has it scheduled well before.
      const due = Math.ceil((Date.now() + options.leadMs) / 100) * 100
      const instance = await zeebe.createProcessInstance({ bpmnProcessId: timerProcess, variables: { dueAt: new Date(due).toISOString() } })
      keys.push(instance.processInstanceKey)
      await sleep(options.everyMs)
    }
  })().catch((error) => {
    failure = error
  })
  return {
    started: () => keys.length,
    /** Stops starting timers (the ones started still fire). */
    stop: () => {
      stopped = true
    },
    /** Stops starting timers, waits for the started ones to fire (up to `waitMs`), and measures them. */
    async finish(waitMs: number): Promise<TimerFigures> {
      stopped = true
      await loop
      if (failure) throw new Error(`starting bench-timer instances failed: ${failure.message}`)
      const deadline = Date.now() + waitMs
      let lateness: number[] = []
      while (Date.now() < deadline) {
        lateness = []
        for (const part of chunks(keys)) {
          const records = await allRecords<{ dueDate: number }>('timer', [{ term: { intent: 'TRIGGERED' } }, terms('value.processInstanceKey', part)], [
            'timestamp',
            'value.dueDate',
          ])
          lateness.push(...records.map((r) => r.timestamp - r.value.dueDate))
        }
        if (lateness.length >= keys.length) break
        await sleep(500)
      }
      return { ...summarise(lateness), early: lateness.filter((ms) => ms < 0).length, notFired: keys.length - lateness.length }
    },
  }
}
