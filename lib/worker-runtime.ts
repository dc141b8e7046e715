/**
 * Runs every module in `workers/` against the engine with gRPC job streaming: variables checked
 * against the module's schema before any work, a bounded number of jobs in flight per worker,
 * technical faults failed with exponential back-off (an incident at zero retries), and a
 * graceful stop that takes no new jobs and finishes the ones in hand.
 */
import { readdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { Ajv, type ErrorObject } from 'ajv'
import type { Camunda8 } from '@camunda8/sdk'
import type { Config } from './config.ts'
import { projectRoot } from './config.ts'
import { databaseUnreachable } from './db.ts'
import { log } from './log.ts'
import type { JobContext, Outcome, WorkerDeps, WorkerModule } from './worker.ts'

type ZeebeClient = ReturnType<Camunda8['getZeebeGrpcApiClient']>
type JSONDoc = NonNullable<Parameters<StreamedJob['complete']>[0]>
type ActivatedJob = Awaited<ReturnType<ZeebeClient['activateJobs']>>[number]
type StreamedJob = Parameters<Parameters<ZeebeClient['streamJobs']>[0]['taskHandler']>[0]
/** A worker's job stream: the open one, whether it was lost, when it was last opened. */
interface JobStream {
  current?: { close(): void }
  lost: boolean
  openedAt: number
}

export const workersDir = path.join(projectRoot, 'workers')

/** Imports every worker module and checks it keeps the contract (file name = job type). */
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

/** Back-off before the next try of a job that failed: 1 s, 2 s, 4 s ... up to a minute. */
export function retryBackOffMs(attempt: number): number {
  return Math.min(60000, 1000 * 2 ** Math.max(0, attempt))
}

/**
 * Back-off when the database cannot be reached: 10 s, 20 s, 40 s, so a job's three tries span
 * the minute a PostgreSQL restart or fail-over takes before the job becomes an incident.
 */
export function databaseBackOffMs(attempt: number): number {
  return Math.min(120000, 10000 * 2 ** Math.max(0, attempt))
}

/** What the optional `onJobHandled` hook learns of each job a handler ran for (times from Date.now()). */
/**
 * Camunda 8.6.0's Operate importer passes job error messages through String.format, so a `%`
 * in one stops the import of every later job record for good (seen with "Pass rate 80 %").
 * Messages sent to the engine carry the full-width sign instead; people read it the same.
 */
export function engineSafeMessage(message: string): string {
  return message.replaceAll('%', '％')
}

export interface HandledJob {
  key: string
  type: string
  processInstanceKey: string
  elementInstanceKey: string
  /** The job reached this worker (stream push or poll answer). */
  receivedAt: number
  handlerStartedAt: number
  handlerEndedAt: number
  /** The outcome was reported to the engine (or reporting failed). */
  reportedAt: number
  /** The handler's outcome; undefined when it threw or the variables were invalid. */
  outcome?: Outcome<string>
}

export interface RunningWorkers {
  /** Takes no new jobs, waits for the jobs in hand (at most `graceMs`), closes the streams. */
  stop(graceMs?: number): Promise<void>
  inFlight(): number
}

/**
 * Starts one stream worker per module, with a safety-net poll beside each stream. With
 * `streaming: false` there is no stream and each worker long-polls instead (a poll held open up
 * to WORKER_POLL_INTERVAL_MS, answered as soon as jobs exist, followed at once by the next) — the
 * classic polling worker, kept for comparison. `onJobHandled` sees the timing of every job.
 */
export async function startWorkers(options: {
  config: Config
  zeebe: ZeebeClient
  deps: WorkerDeps
  modules: WorkerModule[]
  streaming?: boolean
  onJobHandled?: (job: HandledJob) => void
}): Promise<RunningWorkers> {
  const { config, zeebe, deps, modules, streaming = true, onJobHandled } = options
  const ajv = new Ajv({ allErrors: true, strict: false })
  const inHand = new Set<Promise<void>>()
  const counts = new Map<string, number>()
  const pollTimers = new Map<string, NodeJS.Timeout>()
  let stopping = false
  const workerName = `order-flow-${os.hostname()}-${process.pid}`
  const streams: JobStream[] = []

  // Outcomes are reported by job key, so streamed and polled jobs are handled alike.
  const fail = (job: ActivatedJob, errorMessage: string, retries: number, retryBackOff = 0) =>
    zeebe.failJob({ jobKey: job.key, errorMessage: engineSafeMessage(errorMessage), retries, retryBackOff })

  for (const mod of modules) {
    const validate = ajv.compile(mod.variablesSchema)
    const handler = mod.createHandler(deps)
    const taskType = mod.taskType
    const fetchVariable = Object.keys(mod.variablesSchema.properties)
    const active = () => counts.get(taskType) ?? 0

    const run = async (job: ActivatedJob, receivedAt: number): Promise<void> => {
      const timing = { handlerStartedAt: 0, handlerEndedAt: 0, outcome: undefined as Outcome<string> | undefined }
      try {
        await runHandler(job, timing)
      } finally {
        if (onJobHandled) {
          const { key, type, processInstanceKey, elementInstanceKey } = job
          const { handlerStartedAt, handlerEndedAt, outcome } = timing
          const now = Date.now()
          // Invalid variables: the handler never ran, so both ends are the report.
          onJobHandled({ key, type, processInstanceKey, elementInstanceKey, receivedAt, outcome, handlerStartedAt: handlerStartedAt || now, handlerEndedAt: handlerEndedAt || now, reportedAt: now })
        }
      }
    }

    const runHandler = async (
      job: ActivatedJob,
      timing: { handlerStartedAt: number; handlerEndedAt: number; outcome?: Outcome<string> },
    ): Promise<void> => {
      const attempt = Math.max(0, 3 - job.retries)
      const variables = JSON.parse(JSON.stringify(job.variables))
      if (!validate(variables)) {
        const message = `${taskType}: invalid process variables: ${describeSchemaErrors(validate.errors)}. Correct the variables in Operate, then retry the incident.`
        log('warn', taskType, message, { jobKey: job.key })
        await fail(job, message, 0)
        return
      }
      const context: JobContext<unknown> = {
        key: job.key,
        type: job.type,
        processInstanceKey: job.processInstanceKey,
        bpmnProcessId: job.bpmnProcessId,
        elementId: job.elementId,
        elementInstanceKey: job.elementInstanceKey,
        retries: job.retries,
        customHeaders: { ...(job.customHeaders as Record<string, string>) },
        variables,
      }
      let outcome
      timing.handlerStartedAt = Date.now()
      try {
        outcome = await handler(context)
        timing.handlerEndedAt = Date.now()
        timing.outcome = outcome
      } catch (error) {
        timing.handlerEndedAt = Date.now()
        const retries = Math.max(0, job.retries - 1)
        const reason = error instanceof Error ? error.message : String(error)
        const advice = retries === 0 ? ' No retries left: fix the cause, then retry the incident in Operate.' : ''
        log('warn', taskType, `job failed: ${reason}`, { jobKey: job.key, retries })
        const backOff = databaseUnreachable(error) ? databaseBackOffMs(attempt) : retryBackOffMs(attempt)
        await fail(job, `${taskType} failed: ${reason}.${advice}`, retries, backOff)
        return
      }
      if (outcome.kind === 'complete') {
        await zeebe.completeJob({ jobKey: job.key, variables: outcome.variables as JSONDoc })
      } else {
        await zeebe.throwError({ jobKey: job.key, errorCode: outcome.code, errorMessage: engineSafeMessage(outcome.message), variables: (outcome.variables ?? {}) as JSONDoc })
      }
      log('debug', taskType, `job ${outcome.kind}`, { jobKey: job.key })
    }

    const accept = (job: ActivatedJob): void => {
      const receivedAt = Date.now()
      if (stopping || active() >= config.WORKER_MAX_JOBS_ACTIVE) {
        // Hand the job back untouched (same retries) so another worker, or this one later, takes it.
        void fail(job, stopping ? 'worker stopping' : 'worker busy', job.retries, 1000).catch(() => undefined)
        return
      }
      counts.set(taskType, active() + 1)
      const work = run(job, receivedAt)
        .catch((error) => log('error', taskType, `could not report the job outcome: ${error}`, { jobKey: job.key }))
        .finally(() => {
          counts.set(taskType, active() - 1)
          inHand.delete(work)
        })
      inHand.add(work)
    }

    // The SDK neither opens a job stream while the engine is away nor reopens one the engine
    // dropped (a restart): the stream is opened again after a failed poll, or when polls find
    // jobs the stream should have pushed (at most every 30 s); polling carries the work meanwhile.
    const stream: JobStream = { lost: false, openedAt: 0 }
    streams.push(stream)
    const openStream = async () => {
      stream.current?.close()
      stream.current = undefined
      stream.openedAt = Date.now()
      try {
        stream.current = await zeebe.streamJobs({
          type: taskType,
          worker: workerName,
          tenantIds: [],
          timeout: config.WORKER_JOB_TIMEOUT_MS,
          fetchVariables: fetchVariable,
          // The SDK's own recurring poll cannot be stopped reliably; ours (schedulePoll) can.
          pollInterval: 0,
          pollMaxJobsToActivate: config.WORKER_MAX_JOBS_ACTIVE,
          taskHandler: (job) => {
            accept(job)
            return 'JOB_ACTION_ACKNOWLEDGEMENT' as unknown as ReturnType<StreamedJob['complete']>
          },
        })
        stream.lost = false
      } catch (error) {
        stream.lost = true
        log('warn', taskType, `job stream not open (${error instanceof Error ? error.message : error}); polling until the engine answers`)
      }
    }

    const poll = async () => {
      const free = config.WORKER_MAX_JOBS_ACTIVE - active()
      if (free <= 0) return
      const jobs = await zeebe.activateJobs({
        type: taskType,
        worker: workerName,
        timeout: config.WORKER_JOB_TIMEOUT_MS,
        maxJobsToActivate: free,
        fetchVariable,
        requestTimeout: streaming ? -1 : config.WORKER_POLL_INTERVAL_MS,
      })
      for (const job of jobs) accept(job)
      if (streaming && !stopping && (stream.lost || (jobs.length > 0 && Date.now() - stream.openedAt > 30000))) await openStream()
    }
    // Streaming: a short poll every interval. Polling only: the next long poll at once, or after a
    // short pause when every slot is busy or the poll failed.
    const schedulePoll = (delay = streaming ? config.WORKER_POLL_INTERVAL_MS : 0) => {
      pollTimers.set(
        taskType,
        setTimeout(() => {
          let failed = false
          poll()
            .catch((error) => {
              failed = true
              stream.lost = true
              log('debug', taskType, `poll failed: ${error}`)
            })
            .finally(() => {
              if (stopping) return
              if (streaming) schedulePoll()
              else schedulePoll(failed ? 1000 : active() >= config.WORKER_MAX_JOBS_ACTIVE ? 20 : 0)
            })
        }, delay),
      )
    }

    if (streaming) await openStream()
    schedulePoll()
    log('info', taskType, streaming ? 'worker started' : 'worker started (polling only)')
  }

  return {
    inFlight: () => inHand.size,
    async stop(graceMs = config.WORKER_JOB_TIMEOUT_MS) {
      stopping = true
      for (const timer of pollTimers.values()) clearTimeout(timer)
      for (const stream of streams) stream.current?.close()
      const deadline = new Promise((resolve) => setTimeout(resolve, graceMs).unref())
      await Promise.race([Promise.allSettled([...inHand]), deadline])
    },
  }
}
