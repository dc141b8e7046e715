/**
 * Fault injection for the reliability tests: the real worker modules run through the real
 * runtime (`startWorkers`), but on a test-only topic (so the workers of other suites running on
 * the same engine never take these tasks), over an engine client, outside services and a
 * database connection that the test can break. Each test process is START → TASK (external,
 * topic `test-reliability-<worker>`) → END, deployed from here.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Knex } from 'knex'
import { loadConfig, type Config } from '../../lib/config.ts'
import type { PaymentClient, RefundRequest } from '../../lib/clients/payment.ts'
import type { BookingRequest, CarrierClient } from '../../lib/clients/carrier.ts'
import type { Notification, NotifierClient } from '../../lib/clients/notifier.ts'
import { createDb, ensureDatabase, migrateLatest } from '../../lib/db.ts'
import { createEngineRest, engineCredentials, toEngineVariable, toEngineVariables, type EngineRest } from '../../lib/engine-rest.ts'
import { workerDeps } from '../../lib/system.ts'
import { loadWorkerModules, startWorkers, type LockedExternalTask, type RunningWorkers } from '../../lib/worker-runtime.ts'
import type { WorkerModule } from '../../lib/worker.ts'
export { uniqueOrderNumber, eventually } from '../helpers.ts'
import { deployResources, eventually, oneTaskProcess } from '../helpers.ts'

export const config = loadConfig()
/** The tests' engine client, as the administrator: it deploys, starts and inspects. */
export const engine = createEngineRest(config, engineCredentials(config, 'admin'))
/** The workers under test run as the workers' own engine user (lib/identity.ts grants it what they need). */
const workerEngine = createEngineRest(config, engineCredentials(config, 'worker'))

/** Short lock and poll hold, so a lost or slow task is handed out again within seconds. */
export const faultConfig: Config = { ...config, WORKER_JOB_TIMEOUT_MS: 3000, WORKER_POLL_INTERVAL_MS: 1000 }

/** The database, created and migrated when missing. */
export async function openDb(url = config.DATABASE_URL): Promise<Knex> {
  await ensureDatabase(url)
  const db = createDb(url)
  await migrateLatest(db)
  return db
}

/** The test process of a worker: START → TASK (topic `test-reliability-<taskType>`) → END. */
export const testProcessId = (taskType: string) => `test-reliability-${taskType}`

/**
 * Deploys the worker's test process and cancels instances an interrupted earlier run left behind,
 * so a test's worker only ever meets its own test's task.
 */
export async function deployTestProcess(taskType: string): Promise<void> {
  const id = testProcessId(taskType)
  await deployResources(id, { [`${id}.bpmn`]: oneTaskProcess(id, { name: `${taskType} (test topic)`, extensions: `<camunda:properties><camunda:property name="test" value="${taskType}" /></camunda:properties>` }) })
  const leftovers = await engine.get<{ id: string }[]>(`/process-instance?processDefinitionKey=${id}`)
  await cancelAll(leftovers.map((instance) => instance.id))
}

/** Starts an instance of `processKey` with plain JSON variables (undefined fields dropped); returns its id. */
export async function startInstance(processKey: string, variables: Record<string, unknown>, businessKey?: string): Promise<string> {
  const plain = JSON.parse(JSON.stringify(variables)) as Record<string, unknown>
  const instance = await engine.post<{ id: string }>(`/process-definition/key/${processKey}/start`, { variables: toEngineVariables(plain), businessKey })
  return instance.id
}

/** Sets one process variable (plain JSON) of a running instance. */
export async function setVariable(processInstanceId: string, name: string, value: unknown): Promise<void> {
  await engine.put(`/process-instance/${processInstanceId}/variables/${encodeURIComponent(name)}`, toEngineVariable(JSON.parse(JSON.stringify(value))))
}

/** The instance's state in history: ACTIVE, COMPLETED, ... */
export async function instanceState(processInstanceId: string): Promise<string | undefined> {
  return (await engine.get<{ state: string }>(`/history/process-instance/${processInstanceId}`)).state
}

export const ended = (processInstanceId: string, timeoutMs = 30000) =>
  eventually('the instance completed', async () => (await instanceState(processInstanceId)) === 'COMPLETED', timeoutMs)

/** Cancels the instances a test left running. */
export async function cancelAll(ids: string[]): Promise<void> {
  for (const id of ids) await engine.delete(`/process-instance/${id}?skipCustomListeners=true`).catch(() => undefined)
}

export interface Incident {
  id: string
  incidentType: string
  incidentMessage: string
  /** For a failed external task: its id. */
  configuration: string
  activityId: string
}

export const activeIncidents = (processInstanceId: string) => engine.get<Incident[]>(`/incident?processInstanceId=${processInstanceId}`)

/** The external task an instance waits in (one per test process). */
export async function externalTaskOf(processInstanceId: string) {
  return (await engine.get<{ id: string; retries: number | null; workerId: string | null; lockExpirationTime: string | null }[]>(`/external-task?processInstanceId=${processInstanceId}`))[0]
}

/** Locks tasks of `topic` as a plain REST client would (no runtime, no lock extension). */
export async function lockAs(workerId: string, topic: string, lockDuration: number, variables?: string[]): Promise<LockedExternalTask[]> {
  return engine.post<LockedExternalTask[]>('/external-task/fetchAndLock', {
    workerId,
    maxTasks: 10,
    asyncResponseTimeout: 1000,
    topics: [{ topicName: topic, lockDuration, variables, includeExtensionProperties: true }],
  })
}

/**
 * The worker module `taskType` subscribed under the test topic; its handler still sees the real
 * type, so history rows and idempotency keys are those of production.
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
 * An engine client whose first `complete` is lost: it never reaches the engine, so the task stays
 * locked until its lock (WORKER_JOB_TIMEOUT_MS, 3 s in `faultConfig`) runs out and the engine hands
 * the same task out again.
 */
export function losingFirstCompletion(base: EngineRest) {
  const state = { completions: 0, lost: 0 }
  const client: EngineRest = {
    ...base,
    post: async <T>(path: string, body?: unknown, options?: Parameters<EngineRest['post']>[2]) => {
      if (path.endsWith('/complete')) {
        state.completions++
        if (state.lost === 0) {
          state.lost++
          throw new Error('injected fault: the completion was lost on the way to the engine')
        }
      }
      return base.post<T>(path, body, options)
    },
  }
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
      if (hooks.firstDelayMs) await sleep(hooks.firstDelayMs)
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

/** Starts the one worker `taskType` under its test topic, with the given faults. */
export async function startFaultyWorker(options: {
  taskType: string
  db: Knex
  engine?: EngineRest
  payment?: PaymentClient
  carrier?: CarrierClient
  notifier?: NotifierClient
  config?: Config
  /** Counts the tasks the handler was given (first runs and redeliveries). */
  runs?: { count: number; jobKey?: string }
}): Promise<RunningWorkers> {
  const cfg = options.config ?? faultConfig
  const deps = workerDeps(cfg, options.db)
  const { payment, carrier, notifier } = options
  deps.outside = { ...deps.outside, ...(payment ? { payment } : {}), ...(carrier ? { carrier } : {}), ...(notifier ? { notifier } : {}) }
  return startWorkers({ config: cfg, engine: options.engine ?? workerEngine, deps, modules: [await testModule(options.taskType, options.runs)] })
}

/** The order row every step's foreign keys point at, and its payment of 1000.00. */
export async function insertOrder(db: Knex, orderNumber: string, channel: 'contract' | 'shop' = 'shop'): Promise<void> {
  await db('orders')
    .insert({ order_number: orderNumber, channel, customer_name: 'Reliability Test Co.', priority: 'normal', status: 'received', data: {}, process_instance_key: null })
    .onConflict('order_number')
    .ignore()
  // Paid, so that a refund has something to refund (payment-refund refunds at most the payments).
  await db('payments')
    .insert({ order_number: orderNumber, kind: 'full', amount: '1000.00', received_at: new Date().toISOString(), message_id: `reliability:${orderNumber}` })
    .onConflict('message_id')
    .ignore()
}

export { tcpProxy } from '../../lib/tcp-proxy.ts'
