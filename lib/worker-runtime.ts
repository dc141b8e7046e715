/**
 * Runs every module in `workers/` as external-task workers of the engine, over its REST API
 * (a thin client of our own, lib/engine-rest.ts, rather than the unmaintained Camunda 7 JS client:
 * that one shares one default worker id, has no lock extension, a `stop()` that does not wait and
 * leaves a thrown handler to its lock expiring).
 *
 * One long-polling `fetchAndLock` serves all topics of the loaded modules, asking for as many tasks
 * as there are free slots (WORKER_MAX_JOBS_ACTIVE). With several engine nodes there is one long
 * poll per node, sharing the free slots: a node's long poll hears only of tasks created on that
 * node. A task's outcome goes to the node it came from, or to another one when that one is down.
 * Each task's variables are checked against its module's schema before any work; a handler still
 * running at half its lock gets the lock extended; a thrown handler is reported as a failure with
 * retries and a back-off (an incident at zero retries); a business outcome is a BPMN error.
 * Stopping takes no new tasks, lets the open poll return (it is held by the engine, not by the
 * socket) and hands back whatever it brought, and waits for the tasks in hand.
 */
import { randomBytes } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { Ajv, type ErrorObject } from 'ajv'
import { engineNodes, projectRoot, type Config } from './config.ts'
import { databaseUnreachable } from './db.ts'
import { addAmountKeyword } from './money.ts'
import {
  createEngineRest,
  engineCredentials,
  EngineRestError,
  EngineUnreachableError,
  fromEngineVariables,
  toEngineVariables,
  type EngineRest,
  type EngineVariables,
} from './engine-rest.ts'
import { log } from './log.ts'
import type { JobContext, Outcome, WorkerDeps, WorkerModule } from './worker.ts'

export const workersDir = path.join(projectRoot, 'workers')

/**
 * Tries of a task whose diagram sets none (the engine leaves its retries null until the first
 * failure): the first run and two retries, then an incident.
 */
export const DEFAULT_RETRIES = 3

/** How often an outcome is sent while the engine answers with a conflict or cannot be reached. */
const REPORT_ATTEMPTS = 6

/** An optimistic-locking conflict: another transaction changed the same execution first; sending again succeeds. */
export function isOptimisticLockingConflict(error: EngineRestError): boolean {
  return error.type === 'OptimisticLockingException' || /OptimisticLockingException|ENGINE-03005/.test(error.engineMessage)
}

/** A locked external task as `POST /external-task/fetchAndLock` returns it (the fields we read). */
export interface LockedExternalTask {
  id: string
  topicName: string
  workerId: string
  processInstanceId: string
  processDefinitionKey: string
  activityId: string
  activityInstanceId: string
  businessKey: string | null
  retries: number | null
  lockExpirationTime: string
  extensionProperties?: Record<string, string> | null
  variables?: EngineVariables
}

/** Imports every worker module and checks it keeps the contract (file name = topic). */
export async function loadWorkerModules(dir = workersDir): Promise<WorkerModule[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.ts')).sort()
  const modules: WorkerModule[] = []
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as Partial<WorkerModule>
    const expectedType = path.basename(file, '.ts')
    const missing = (['taskType', 'variablesSchema', 'errorCodes', 'createHandler'] as const).filter((k) => !(k in mod))
    if (missing.length) throw new Error(`workers/${file} does not export ${missing.join(', ')}`)
    if (mod.taskType !== expectedType) {
      throw new Error(`workers/${file} exports taskType "${mod.taskType}"; the file name says "${expectedType}"`)
    }
    modules.push(mod as WorkerModule)
  }
  return modules
}

/** Readable text of ajv errors, naming each variable path (a missing field by its own path: `refund.amount is missing`). */
export function describeSchemaErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((error) => {
      const at = error.instancePath.slice(1).replaceAll('/', '.')
      if (error.keyword === 'required') return `${at ? `${at}.` : ''}${error.params.missingProperty} is missing`
      return `${at || 'variables'} ${error.message}`
    })
    .join('; ')
}

/** Back-off before the next try of a task that failed: 1 s, 2 s, 4 s ... up to a minute. */
export function retryBackOffMs(attempt: number): number {
  return Math.min(60000, 1000 * 2 ** Math.max(0, attempt))
}

/**
 * Back-off when the database cannot be reached: 10 s, 20 s, 40 s, so a task's three tries span
 * the minute a PostgreSQL restart or fail-over takes before the task becomes an incident.
 */
export function databaseBackOffMs(attempt: number): number {
  return Math.min(120000, 10000 * 2 ** Math.max(0, attempt))
}

/** Pause before polling again while the engine cannot be reached: 1 s, 2 s, 4 s ... up to 30 s. */
export function engineBackOffMs(attempt: number): number {
  return Math.min(30000, 1000 * 2 ** Math.max(0, attempt))
}

/** A worker id unique to this runtime: two processes (or two runtimes in one) never share a lock. */
export function newWorkerId(): string {
  return `${os.hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`
}

/** The handler's view of a locked task (ids mapped as lib/worker.ts documents). */
export function jobContext(task: LockedExternalTask, variables: Record<string, unknown>): JobContext<unknown> {
  return {
    key: task.id,
    type: task.topicName,
    processInstanceKey: task.processInstanceId,
    bpmnProcessId: task.processDefinitionKey,
    elementId: task.activityId,
    elementInstanceKey: task.activityInstanceId,
    retries: task.retries ?? DEFAULT_RETRIES,
    customHeaders: { ...(task.extensionProperties ?? {}) },
    variables,
  }
}

/** What the optional `onJobHandled` hook learns of each task a handler ran for (times from Date.now()). */
export interface HandledJob {
  key: string
  type: string
  processInstanceKey: string
  elementInstanceKey: string
  /** The task reached this worker (the poll's answer). */
  receivedAt: number
  handlerStartedAt: number
  handlerEndedAt: number
  /** The outcome was reported to the engine (or reporting failed). */
  reportedAt: number
  /** The handler's outcome; undefined when it threw or the variables were invalid. */
  outcome?: Outcome<string>
}

export interface RunningWorkers {
  /** This runtime's worker id, as the engine records it on each task it locks. */
  workerId: string
  /**
   * Takes no new tasks, waits for the open poll to return (handing back what it brings) and for
   * the tasks in hand, at most `graceMs` in all.
   */
  stop(graceMs?: number): Promise<void>
  inFlight(): number
}

/**
 * Starts polling for every module's topic. `engine` defaults to the worker user's client
 * (ENGINE_WORKER_USER); `workerId` to a fresh unique id; `onJobHandled` sees the timing of every task.
 */
export async function startWorkers(options: {
  config: Config
  deps: WorkerDeps
  modules: WorkerModule[]
  engine?: EngineRest
  workerId?: string
  onJobHandled?: (job: HandledJob) => void
}): Promise<RunningWorkers> {
  const { config, deps, modules, onJobHandled } = options
  const credentials = engineCredentials(config, 'worker')
  // Per engine node: the long poll, pinned to it, and the client for the outcomes of its tasks.
  const nodes = options.engine
    ? [{ poll: options.engine, report: options.engine }]
    : engineNodes(config).map((node) => ({
        poll: createEngineRest(config, credentials, { node }),
        report: createEngineRest(config, credentials, { prefer: node }),
      }))
  const workerId = options.workerId ?? newWorkerId()
  const lockDuration = config.WORKER_JOB_TIMEOUT_MS
  // The long-poll hold: short, because a poll left open at exit stays on the engine and would lock
  // the next task to a worker that is gone (see stop).
  const pollHoldMs = config.WORKER_POLL_INTERVAL_MS
  const maxActive = config.WORKER_MAX_JOBS_ACTIVE
  const ajv = addAmountKeyword(new Ajv({ allErrors: true, strict: false }))

  const byTopic = new Map(
    modules.map((mod) => [mod.taskType, { mod, validate: ajv.compile(mod.variablesSchema), handler: mod.createHandler(deps) }]),
  )
  const topics = modules.map((mod) => ({
    topicName: mod.taskType,
    lockDuration,
    variables: Object.keys(mod.variablesSchema.properties),
    includeExtensionProperties: true,
  }))

  const inHand = new Set<Promise<void>>()
  /** Poll loops waiting for a free slot (one per node); a freed slot wakes them all to share it. */
  const slotWaiters = new Set<() => void>()
  /** Tasks each node's open poll has asked for. */
  const asked = nodes.map(() => 0)
  const slotFreed = () => {
    for (const wake of slotWaiters) wake()
    slotWaiters.clear()
  }
  let stopping = false
  const stopController = new AbortController()

  /** The client each task's outcome goes through: the one of the node that handed it out. */
  const via = new WeakMap<LockedExternalTask, EngineRest>()
  const engineOf = (task: LockedExternalTask) => via.get(task) ?? nodes[0].report

  const taskPath = (task: LockedExternalTask, action: string) => `/external-task/${encodeURIComponent(task.id)}/${action}`

  /** Another worker holds the task now, or it is gone (completed, cancelled): not ours to report. */
  const lostTask = (error: unknown) =>
    error instanceof EngineRestError && (error.status === 404 || (error.status === 400 && /locked by|does not exist|not found/i.test(error.engineMessage)))

  const report = async (task: LockedExternalTask, action: string, body: Record<string, unknown>) => {
    try {
      await engineOf(task).post(taskPath(task, action), { workerId, ...body })
      return true
    } catch (error) {
      if (!lostTask(error)) throw error
      // A late report after the lock ran out: another worker has the task (and repeats the
      // idempotent work) or it has already ended. Nothing is lost; nothing to do here.
      log('warn', task.topicName, `${action} not accepted: the task is no longer locked by this worker (${(error as EngineRestError).engineMessage})`, { jobKey: task.id })
      return false
    }
  }

  const fail = (task: LockedExternalTask, errorMessage: string, errorDetails: string, retries: number, retryTimeout: number) =>
    report(task, 'failure', { errorMessage, errorDetails, retries, retryTimeout })

  /** Extends the lock of a task whose handler is still running at half the lock, again each half. */
  const keepLocked = (task: LockedExternalTask) => {
    const timer = setInterval(() => {
      engineOf(task).post(taskPath(task, 'extendLock'), { workerId, newDuration: lockDuration }).catch((error) => {
        log('warn', task.topicName, `could not extend the lock: ${error instanceof Error ? error.message : error}`, { jobKey: task.id })
        if (lostTask(error)) clearInterval(timer)
      })
    }, Math.max(500, Math.floor(lockDuration / 2)))
    return () => clearInterval(timer)
  }

  const runHandler = async (task: LockedExternalTask, timing: { handlerStartedAt: number; handlerEndedAt: number; outcome?: Outcome<string> }) => {
    const topic = byTopic.get(task.topicName)
    if (!topic) {
      await fail(task, `no worker module for topic ${task.topicName}`, '', 0, 0)
      return
    }
    const { validate, handler } = topic
    const retriesLeft = task.retries ?? DEFAULT_RETRIES
    const attempt = Math.max(0, DEFAULT_RETRIES - retriesLeft)
    const variables = fromEngineVariables(task.variables)
    if (!validate(variables)) {
      const message = `${task.topicName}: invalid process variables: ${describeSchemaErrors(validate.errors)}. Correct the variables in Cockpit, then retry the incident.`
      log('warn', task.topicName, message, { jobKey: task.id })
      await fail(task, message, message, 0, 0)
      return
    }
    const context = jobContext(task, variables)
    let outcome: Outcome<string>
    const release = keepLocked(task)
    timing.handlerStartedAt = Date.now()
    try {
      outcome = await handler(context)
      timing.handlerEndedAt = Date.now()
      timing.outcome = outcome
    } catch (error) {
      timing.handlerEndedAt = Date.now()
      release()
      const retries = Math.max(0, retriesLeft - 1)
      const reason = error instanceof Error ? error.message : String(error)
      const advice = retries === 0 ? ' No retries left: fix the cause, then retry the incident in Cockpit.' : ''
      log('warn', task.topicName, `job failed: ${reason}`, { jobKey: task.id, retries })
      const backOff = databaseUnreachable(error) ? databaseBackOffMs(attempt) : retryBackOffMs(attempt)
      const details = error instanceof Error ? (error.stack ?? reason) : reason
      await fail(task, `${task.topicName} failed: ${reason}.${advice}`, details, retries, retries === 0 ? 0 : backOff)
      return
    }
    release()
    const [action, body] =
      outcome.kind === 'complete'
        ? ['complete', { variables: toEngineVariables(outcome.variables) }]
        : ['bpmnError', { errorCode: outcome.code, errorMessage: outcome.message, variables: toEngineVariables(outcome.variables ?? {}) }]
    try {
      if (await reportOutcome(task, action, body)) log('debug', task.topicName, `job ${outcome.kind}`, { jobKey: task.id })
    } catch (error) {
      if (!(error instanceof EngineRestError)) throw error
      // The engine refused the outcome itself (an output mapping or condition that fails on these
      // variables, a listener that throws): a failure with retries, and an incident at zero, so an
      // operator sees it instead of the task coming back after every lock expiry.
      const retries = Math.max(0, retriesLeft - 1)
      const advice = retries === 0 ? ' No retries left: fix the model or the variables, then retry the incident in Cockpit.' : ''
      const reason = `the engine refused the ${action}: ${error.engineMessage}`
      log('warn', task.topicName, reason, { jobKey: task.id, retries })
      await fail(task, `${task.topicName} failed: ${reason}.${advice}`, error.message, retries, retries === 0 ? 0 : retryBackOffMs(attempt))
    }
  }

  /**
   * Reports an outcome, trying again while the engine is briefly busy or away: an optimistic-locking
   * conflict (two branches of one instance ending at once update the same execution) or a lost
   * connection. Other refusals are thrown to the caller.
   */
  const reportOutcome = async (task: LockedExternalTask, action: string, body: Record<string, unknown>) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await report(task, action, body)
      } catch (error) {
        const transient = error instanceof EngineUnreachableError || (error instanceof EngineRestError && isOptimisticLockingConflict(error))
        if (!transient || attempt >= REPORT_ATTEMPTS - 1) throw error
        await sleep(100 * 2 ** attempt + Math.floor(Math.random() * 100))
      }
    }
  }

  const run = async (task: LockedExternalTask, receivedAt: number) => {
    const timing = { handlerStartedAt: 0, handlerEndedAt: 0, outcome: undefined as Outcome<string> | undefined }
    try {
      await runHandler(task, timing)
    } finally {
      if (onJobHandled) {
        const now = Date.now()
        // Invalid variables: the handler never ran, so both ends are the report.
        onJobHandled({
          key: task.id,
          type: task.topicName,
          processInstanceKey: task.processInstanceId,
          elementInstanceKey: task.activityInstanceId,
          receivedAt,
          outcome: timing.outcome,
          handlerStartedAt: timing.handlerStartedAt || now,
          handlerEndedAt: timing.handlerEndedAt || now,
          reportedAt: now,
        })
      }
    }
  }

  const accept = (task: LockedExternalTask) => {
    const work = run(task, Date.now())
      .catch((error) => log('error', task.topicName, `could not report the job outcome: ${error}`, { jobKey: task.id }))
      .finally(() => {
        inHand.delete(work)
        slotFreed()
      })
    inHand.add(work)
  }

  /** Hands a task back at once (same retries), for a task that arrived after stop. */
  const unlock = (task: LockedExternalTask) =>
    engineOf(task).post(taskPath(task, 'unlock')).catch((error) => log('warn', task.topicName, `could not hand the task back: ${error}`, { jobKey: task.id }))

  const pollLoop = async (index: number) => {
    const { poll, report } = nodes[index]
    let unreachableSince = 0
    let failures = 0
    while (!stopping) {
      // This node's share of the free slots: the open polls of all nodes together ask for no more than are free.
      const unreserved = maxActive - inHand.size - asked.reduce((sum, n, i) => (i === index ? sum : sum + n), 0)
      const share = Math.min(unreserved, Math.ceil((maxActive - inHand.size) / nodes.length))
      if (share <= 0) {
        await new Promise<void>((resolve) => slotWaiters.add(resolve))
        continue
      }
      let tasks: LockedExternalTask[]
      asked[index] = share
      try {
        tasks = await poll.post<LockedExternalTask[]>(
          '/external-task/fetchAndLock',
          { workerId, maxTasks: share, usePriority: true, asyncResponseTimeout: pollHoldMs, topics },
          { timeoutMs: pollHoldMs + 30000 },
        )
      } catch (error) {
        asked[index] = 0
        slotFreed()
        if (stopping) return
        failures++
        if (failures === 1 || failures % 20 === 0) {
          const what = error instanceof EngineUnreachableError ? 'the engine cannot be reached' : 'fetchAndLock refused'
          log(failures === 1 ? 'warn' : 'error', 'workers', `${what}${nodes.length > 1 ? ` (node ${index + 1})` : ''}; polling again with back-off: ${error instanceof Error ? error.message : error}`, { workerId })
        }
        unreachableSince ||= Date.now()
        await sleep(engineBackOffMs(failures - 1), undefined, { signal: stopController.signal }).catch(() => undefined)
        continue
      }
      if (failures) {
        log('info', 'workers', `the engine answers again after ${Math.round((Date.now() - unreachableSince) / 1000)} s`, { workerId })
        failures = 0
        unreachableSince = 0
      }
      for (const task of tasks) via.set(task, report)
      if (stopping) await Promise.all(tasks.map(unlock))
      else for (const task of tasks) accept(task)
      asked[index] = 0
      slotFreed()
    }
  }

  const loops = nodes.map((_, index) => pollLoop(index))
  for (const mod of modules) log('info', mod.taskType, 'worker started', { workerId, lockDuration, pollHoldMs })

  return {
    workerId,
    inFlight: () => inHand.size,
    async stop(graceMs = config.WORKER_JOB_TIMEOUT_MS) {
      stopping = true
      stopController.abort()
      slotFreed()
      // The open poll is not aborted: the engine would keep holding it and lock the next task to
      // this worker after it exits. It returns within pollHoldMs; what it brings is unlocked.
      const deadline = sleep(graceMs, undefined, { ref: false })
      await Promise.race([Promise.allSettled([...loops, ...inHand]), deadline])
      await Promise.race([Promise.allSettled([...inHand]), deadline])
    },
  }
}
