/**
 * Fault injection for the reliability tests: the real worker modules run through the real
 * runtime (`startWorkers`), but on a test-only job type (so the workers of other suites running
 * on the same engine never take these jobs), over a zeebe client, outside services and a
 * database connection that the test can break.
 */
import path from 'node:path'
import type { Camunda8 } from '@camunda8/sdk'
import type { Knex } from 'knex'
import { deployAll } from '../../lib/deploy.ts'
import { projectRoot, type Config } from '../../lib/config.ts'
import type { PaymentClient, RefundRequest } from '../../lib/clients/payment.ts'
import type { BookingRequest, CarrierClient } from '../../lib/clients/carrier.ts'
import type { Notification, NotifierClient } from '../../lib/clients/notifier.ts'
import { workerDeps } from '../../lib/system.ts'
import { loadWorkerModules, startWorkers, type RunningWorkers } from '../../lib/worker-runtime.ts'
import type { WorkerModule } from '../../lib/worker.ts'
import { config, rest } from '../helpers.ts'

type ZeebeClient = ReturnType<Camunda8['getZeebeGrpcApiClient']>

/** Short lock time, so a lost or slow job is handed out again within seconds. */
export const faultConfig: Config = { ...config, WORKER_JOB_TIMEOUT_MS: 3000, WORKER_POLL_INTERVAL_MS: 1000 }

/** The test process of a worker: START → TASK (job type `test-reliability-<taskType>`) → END. */
export const testProcessId = (taskType: string) => `test-reliability-${taskType}`

export async function deployTestProcess(camunda: Camunda8, taskType: string): Promise<void> {
  await deployAll(camunda, [{ file: path.join(projectRoot, `test/fixtures/${testProcessId(taskType)}.bpmn`), kind: 'process' }])
}

/**
 * The worker module `taskType` subscribed under the test job type; its handler still sees the
 * real type, so history rows and idempotency keys are those of production.
 */
export async function testModule(taskType: string, runs: { count: number; jobKey?: string } = { count: 0 }): Promise<WorkerModule> {
  const mod = (await loadWorkerModules()).find((m) => m.taskType === taskType)
  if (!mod) throw new Error(`no worker module ${taskType}`)
  return {
    ...mod,
    taskType: testProcessId(taskType),
    createHandler: (deps) => {
      const handler = mod.createHandler(deps)
      return (job) => {
        runs.count++
        runs.jobKey = job.key
        return handler({ ...job, type: taskType })
      }
    },
  }
}

/**
 * A zeebe client whose first `completeJob` is lost: it never reaches the engine, so the job stays
 * activated until its lock (WORKER_JOB_TIMEOUT_MS, 3 s in `faultConfig`) runs out and the engine
 * hands the same job out again. That needs the engine's clock to run free: a clock pinned by
 * another suite (PUT /v2/clock) moves the job's deadline with it (see job-timeout.test.ts).
 */
export function losingFirstCompletion(zeebe: ZeebeClient) {
  const state = { completions: 0, lost: 0 }
  const client = new Proxy(zeebe, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target)
      if (prop === 'completeJob') {
        return async (...args: Parameters<ZeebeClient['completeJob']>) => {
          state.completions++
          if (state.lost === 0) {
            state.lost++
            throw new Error('injected fault: the completion was lost on the way to the engine')
          }
          return target.completeJob(...args)
        }
      }
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { client, state }
}

type FirstCallHooks = { firstDelayMs?: number; onFirstCall?: () => Promise<void> | void }

/** Wraps one provider call: records each request; the first answer may be held back `firstDelayMs`. */
function counting<Request extends { idempotencyKey: string }, Answer>(call: (request: Request) => Promise<Answer>, hooks: FirstCallHooks = {}) {
  const calls: Request[] = []
  const wrapped = async (request: Request) => {
    calls.push(request)
    const answer = await call(request)
    if (calls.length === 1) {
      if (hooks.firstDelayMs) await new Promise((resolve) => setTimeout(resolve, hooks.firstDelayMs))
      await hooks.onFirstCall?.()
    }
    return answer
  }
  return { wrapped, calls, keys: () => new Set(calls.map((c) => c.idempotencyKey)) }
}

/** Counts the calls to the payment provider; the first may be held back `firstDelayMs`. */
export function countingPayment(base: PaymentClient, hooks: FirstCallHooks = {}) {
  const { wrapped, ...counted } = counting((request: RefundRequest) => base.refund(request), hooks)
  return { client: { ...base, refund: wrapped } as PaymentClient, ...counted }
}

/** Counts the bookings asked of the carrier; the first may be held back `firstDelayMs`. */
export function countingCarrier(base: CarrierClient, hooks: FirstCallHooks = {}) {
  const { wrapped, ...counted } = counting((request: BookingRequest) => base.book(request), hooks)
  return { client: { ...base, book: wrapped } as CarrierClient, ...counted }
}

/** Counts the messages asked of the notifier. */
export function countingNotifier(base: NotifierClient) {
  const { wrapped, ...counted } = counting((notification: Notification) => base.notify(notification))
  return { client: { notify: wrapped } as NotifierClient, ...counted }
}

/** Starts the one worker `taskType` under its test job type, with the given faults. */
export async function startFaultyWorker(options: {
  taskType: string
  zeebe: ZeebeClient
  db: Knex
  payment?: PaymentClient
  carrier?: CarrierClient
  notifier?: NotifierClient
  config?: Config
  /** Counts the jobs the handler was given (first runs and redeliveries). */
  runs?: { count: number; jobKey?: string }
}): Promise<RunningWorkers> {
  const cfg = options.config ?? faultConfig
  const deps = workerDeps(cfg, options.db)
  const { payment, carrier, notifier } = options
  deps.outside = { ...deps.outside, ...(payment ? { payment } : {}), ...(carrier ? { carrier } : {}), ...(notifier ? { notifier } : {}) }
  return startWorkers({ config: cfg, zeebe: options.zeebe, deps, modules: [await testModule(options.taskType, options.runs)] })
}

/** The order row every step's foreign keys point at. */
export async function insertOrder(db: Knex, orderNumber: string, channel: 'contract' | 'shop' = 'shop'): Promise<void> {
  await db('orders')
    .insert({ order_number: orderNumber, channel, customer_name: 'Reliability Test Co.', priority: 'normal', status: 'received', data: {}, process_instance_key: null })
    .onConflict('order_number')
    .ignore()
}

export interface Incident {
  key: number
  jobKey?: number
  errorType: string
  errorMessage: string
  state: string
}

export async function activeIncidents(processInstanceKey: string): Promise<Incident[]> {
  const page = await rest.post<{ items: Incident[] }>('/v2/incidents/search', {
    filter: { processInstanceKey: Number(processInstanceKey), state: 'ACTIVE' },
  })
  return page.items
}

export { tcpProxy } from '../../lib/tcp-proxy.ts'
