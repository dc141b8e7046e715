/**
 * Timer lateness: starts `bench-timer` instances, each waiting until an instant a little ahead
 * (`dueAt`), one every `everyMs` while running, and measures from the engine's history how late
 * each fired: the end of its TIMER_DUE activity (the job executor ran the timer) minus the due
 * instant. Negative = early.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { toEngineVariables, type EngineRest } from '../../lib/engine-rest.ts'
import { timerProcess } from './diagrams.ts'
import { chunks, engineTime, type HistoricActivity } from './history.ts'
import { summarise, type Summary } from './stats.ts'

export interface TimerFigures extends Summary {
  early: number
  notFired: number
}

export function startTimers(rest: EngineRest, options: { everyMs: number; leadMs: number; max: number }) {
  const due = new Map<string, number>() // instance id → due instant
  let stopped = false
  let failure: Error | undefined
  let n = 0
  const loop = (async () => {
    while (!stopped && due.size < options.max) {
      // Due on a whole 100 ms, a little ahead, so the engine has it scheduled well before.
      const at = Math.ceil((Date.now() + options.leadMs) / 100) * 100
      const instance = await rest.post<{ id: string }>(`/process-definition/key/${timerProcess}/start`, {
        businessKey: `bench-timer-${process.pid}-${n++}`,
        variables: toEngineVariables({ dueAt: new Date(at).toISOString() }),
      })
      due.set(instance.id, at)
      await sleep(options.everyMs)
    }
  })().catch((error) => {
    failure = error
  })
  return {
    started: () => due.size,
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
        for (const part of chunks([...due.keys()])) {
          const fired = await rest.post<HistoricActivity[]>('/history/activity-instance?maxResults=10000', { activityId: 'TIMER_DUE', processInstanceIdIn: part, finished: true })
          lateness.push(...fired.filter((a) => a.endTime && due.has(a.processInstanceId)).map((a) => engineTime(a.endTime!) - due.get(a.processInstanceId)!))
        }
        if (lateness.length >= due.size) break
        await sleep(500)
      }
      return { ...summarise(lateness), early: lateness.filter((ms) => ms < 0).length, notFired: due.size - lateness.length }
    },
  }
}
