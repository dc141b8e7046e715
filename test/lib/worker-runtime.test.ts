/**
 * The worker runtime on the real engine: small test modules on their own topics, deployed with
 * test processes of their own, prove the ids a handler sees, the three outcomes, retries with
 * back-off to an incident, lock extension, bounded parallelism, the graceful stop that strands no
 * task, and polling through an engine outage.
 */
import { mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Ajv } from 'ajv'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { databaseUnreachable } from '../../lib/db.ts'
import { createEngineRest, engineCredentials } from '../../lib/engine-rest.ts'
import { tcpProxy } from '../../lib/tcp-proxy.ts'
import {
  databaseBackOffMs,
  describeSchemaErrors,
  DEFAULT_RETRIES,
  loadWorkerModules,
  newWorkerId,
  retryBackOffMs,
  startWorkers,
  type RunningWorkers,
} from '../../lib/worker-runtime.ts'
import { bpmnError, complete, type JobContext, type Outcome, type WorkerDeps, type WorkerModule } from '../../lib/worker.ts'
import { variablesSchema } from '../../workers/order-validate.ts'
import { activeIncidents, cancelAll, config, engine, eventually, externalTaskOf, instanceState, startInstance } from '../reliability/support.ts'
import { deployResources, oneTaskProcess } from '../helpers.ts'

const suffix = Math.random().toString(36).slice(2, 8)
const topic = (name: string) => `test-runtime-${name}-${suffix}`
const started: string[] = []
const running: RunningWorkers[] = []
const fast = { ...config, WORKER_JOB_TIMEOUT_MS: 2000, WORKER_POLL_INTERVAL_MS: 1000, WORKER_MAX_JOBS_ACTIVE: 4 }

const schema = { type: 'object', required: ['order'], properties: { order: { type: 'object', required: ['orderNumber'], properties: { orderNumber: { type: 'string' } } } } }

/** A module on its own topic and process; `handle` is the handler. */
async function testWorker(name: string, handle: (job: JobContext<{ order: { orderNumber: string } }>) => Promise<Outcome<'REJECTED'>>, outputMapping = '') {
  const taskTopic = topic(name)
  await deployResources(taskTopic, { [`${taskTopic}.bpmn`]: oneTaskProcess(taskTopic, { errorCode: 'REJECTED', extensions: `<camunda:properties><camunda:property name="channel" value="shop" /></camunda:properties>${outputMapping}` }) })
  const mod: WorkerModule = {
    taskType: taskTopic,
    variablesSchema: schema,
    errorCodes: ['REJECTED'],
    createHandler: () => handle as never,
  }
  const start = async (orderNumber = `SO-2026-${Date.now()}`) => {
    const id = await startInstance(taskTopic, { order: { orderNumber }, unrelated: 'not fetched' }, orderNumber)
    started.push(id)
    return id
  }
  return { mod, start }
}

async function run(modules: WorkerModule[], cfg = fast, options: { engine?: ReturnType<typeof createEngineRest> } = {}) {
  const workers = await startWorkers({ config: cfg, engine: options.engine ?? engine, deps: {} as WorkerDeps, modules })
  running.push(workers)
  return workers
}

const activities = async (id: string) =>
  (await engine.get<{ activityId: string; endTime: string | null }[]>(`/history/activity-instance?processInstanceId=${id}`)).filter((a) => a.endTime).map((a) => a.activityId)

test.after(async () => {
  for (const workers of running) await workers.stop(3000)
  await cancelAll(started)
})

test('every module in workers/ keeps the contract', async () => {
  const modules = await loadWorkerModules()
  assert.ok(modules.some((m) => m.taskType === 'order-validate'))
  for (const mod of modules) {
    assert.type(mod.createHandler, 'function')
    assert.ok(Array.isArray(mod.errorCodes))
  }
})

test('a module whose topic differs from its file name is refused', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'workers-'))
  await writeFile(
    path.join(dir, 'stock-check.ts'),
    "export const taskType = 'inventory-check'\nexport const variablesSchema = { properties: {} }\nexport const errorCodes = []\nexport const createHandler = () => async () => ({ kind: 'complete', variables: {} })\n",
  )
  try {
    await loadWorkerModules(dir)
    assert.unreachable('module accepted')
  } catch (error) {
    assert.match((error as Error).message, 'workers/stock-check.ts exports taskType "inventory-check"; the file name says "stock-check"')
  }
})

test('schema errors name the variable path', () => {
  const validate = new Ajv({ allErrors: true }).compile(variablesSchema)
  assert.not.ok(validate({ order: { orderNumber: 42 } }))
  assert.match(describeSchemaErrors(validate.errors), 'order.orderNumber must be string')
  assert.not.ok(validate({}))
  assert.is(describeSchemaErrors(validate.errors), 'order is missing')
  assert.not.ok(validate({ order: {} }))
  assert.is(describeSchemaErrors(validate.errors), 'order.orderNumber is missing')
})

test('retry back-off doubles from one second up to a minute; from ten seconds when the database is out of reach', () => {
  assert.equal([0, 1, 2, 3, 10].map(retryBackOffMs), [1000, 2000, 4000, 8000, 60000])
  assert.equal([0, 1, 2, 5].map(databaseBackOffMs), [10000, 20000, 40000, 120000])
  assert.ok(databaseUnreachable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })))
  assert.ok(databaseUnreachable(new Error('Connection terminated unexpectedly')))
  assert.ok(databaseUnreachable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })))
  assert.not.ok(databaseUnreachable(new Error('duplicate key value violates unique constraint')))
})

test('each runtime has its own worker id: host, process, random', () => {
  const [a, b] = [newWorkerId(), newWorkerId()]
  assert.ok(a.startsWith(`${os.hostname()}-${process.pid}-`))
  assert.is.not(a, b)
})

test('a task created while the long poll is open reaches its handler at once, with the ids of the task, and its variables land as JSON', async () => {
  const seen: JobContext<{ order: { orderNumber: string } }>[] = []
  const { mod, start } = await testWorker('complete', async (job) => {
    seen.push(job)
    return complete({ orderChecked: { by: 'runtime test', lines: [1, 2] }, orderComplete: true })
  })
  // The poll is held 15 s: a task that reaches the handler well within that woke the open poll.
  const workers = await run([mod], { ...fast, WORKER_POLL_INTERVAL_MS: 15000 })
  const startedAt = Date.now()
  const id = await start()
  await eventually('the handler ran, woken inside the open long poll', async () => seen.length > 0, 10000)
  const pickupMs = Date.now() - startedAt
  await eventually('the instance completed', async () => (await instanceState(id)) === 'COMPLETED', 10000)
  const [job] = seen
  const activity = (await engine.get<{ id: string; activityId: string }[]>(`/history/activity-instance?processInstanceId=${id}&activityId=TASK`))[0]
  assert.is(job.processInstanceKey, id)
  assert.is(job.type, mod.taskType)
  assert.is(job.bpmnProcessId, mod.taskType)
  assert.is(job.elementId, 'TASK')
  assert.is(job.elementInstanceKey, activity.id, 'the activity instance id is the step key')
  assert.is(job.retries, DEFAULT_RETRIES)
  assert.equal(job.customHeaders, { channel: 'shop' })
  assert.equal(Object.keys(job.variables), ['order'], 'only the variables of the schema are fetched')
  const vars = await engine.get<Record<string, { type: string; value: string }>>(`/history/variable-instance?processInstanceId=${id}&variableName=orderChecked&deserializeValues=false`)
  const [checked] = vars as unknown as { type: string; value: unknown }[]
  assert.is(checked.type, 'Json')
  assert.equal(typeof checked.value === 'string' ? JSON.parse(checked.value) : checked.value, { by: 'runtime test', lines: [1, 2] })
  console.log(`  pickup latency (start → handler, long poll): ${pickupMs} ms; worker ${workers.workerId}`)
})

test('a BPMN error takes the boundary path', async () => {
  const { mod, start } = await testWorker('bpmn-error', async () => bpmnError('REJECTED', 'not ours to ship', { rejectedBy: 'runtime test' }))
  await run([mod])
  const id = await start()
  await eventually('the instance ended at ERROR_END', async () => (await activities(id)).includes('ERROR_END'), 10000)
  assert.not.ok((await activities(id)).includes('END'))
})

test('a throwing handler is failed with retries and back-off, then becomes an incident naming the fault', async () => {
  const tries: number[] = []
  const { mod, start } = await testWorker('throws', async () => {
    tries.push(Date.now())
    throw new Error('carrier answered 503')
  })
  await run([mod])
  const id = await start()
  const [incident] = await eventually('an incident after three tries', async () => (await activeIncidents(id)).length > 0 && activeIncidents(id), 20000)
  assert.is(tries.length, DEFAULT_RETRIES)
  assert.ok(tries[1] - tries[0] >= 1000, `first retry after its 1 s back-off (${tries[1] - tries[0]} ms)`)
  assert.ok(tries[2] - tries[1] >= 2000, `second retry after its 2 s back-off (${tries[2] - tries[1]} ms)`)
  assert.is(incident.incidentType, 'failedExternalTask')
  assert.match(incident.incidentMessage, `${mod.taskType} failed: carrier answered 503. No retries left`)
})

test('a completion the engine refuses (an output mapping that fails) is failed with retries, then an incident naming the refusal', async () => {
  let runs = 0
  const failing = '<camunda:inputOutput><camunda:outputParameter name="shipment">${booking.prop(\'trackingNumber\')}</camunda:outputParameter></camunda:inputOutput>'
  const { mod, start } = await testWorker('refused', async () => {
    runs++
    return complete({ handled: true })
  }, failing)
  await run([mod])
  const id = await start()
  const [incident] = await eventually('an incident for the refused completion', async () => (await activeIncidents(id)).length > 0 && activeIncidents(id), 20000)
  assert.is(runs, DEFAULT_RETRIES, 'the handler ran once per try, no more')
  assert.is(incident.incidentType, 'failedExternalTask')
  assert.match(incident.incidentMessage, `${mod.taskType} failed: the engine refused the complete`)
  assert.match(incident.incidentMessage, 'booking')
  assert.equal(await activities(id), ['START'], 'the instance stays at the task')
})

test('invalid variables are an incident at once, naming the variable; fixed and retried, the handler runs once', async () => {
  let runs = 0
  const { mod, start } = await testWorker('invalid', async () => {
    runs++
    return complete()
  })
  await run([mod])
  const id = await startInstance(mod.taskType, { order: { orderNumber: 42 } })
  started.push(id)
  const [incident] = await eventually('an incident', async () => (await activeIncidents(id)).length > 0 && activeIncidents(id), 10000)
  assert.match(incident.incidentMessage, `${mod.taskType}: invalid process variables: order.orderNumber must be string`)
  assert.is(runs, 0)
  await engine.put(`/process-instance/${id}/variables/order`, { type: 'Json', value: JSON.stringify({ orderNumber: 'SO-2026-1' }) })
  await engine.put(`/external-task/${incident.configuration}/retries`, { retries: 1 })
  await eventually('the instance completed', async () => (await instanceState(id)) === 'COMPLETED', 10000)
  assert.is(runs, 1)
})

test('a handler slower than its lock keeps the task: the lock is extended, no other worker gets it', async () => {
  let runs = 0
  let release = () => {}
  const { mod, start } = await testWorker('slow', async () => {
    runs++
    await new Promise<void>((resolve) => (release = resolve))
    return complete()
  })
  await run([mod])
  const id = await start()
  await eventually('the handler running', async () => runs === 1, 10000)
  const firstLock = new Date((await externalTaskOf(id)).lockExpirationTime!).getTime()
  await eventually('the lock extended', async () => new Date((await externalTaskOf(id)).lockExpirationTime!).getTime() > firstLock, 5000)
  // Past the first lock's expiry, a plain worker asks for the topic: the task is still locked.
  await eventually('the first lock time over', async () => Date.now() > firstLock + 500, 5000)
  const other = await engine.post<unknown[]>('/external-task/fetchAndLock', { workerId: 'other-worker', maxTasks: 1, topics: [{ topicName: mod.taskType, lockDuration: 1000 }] })
  assert.is(other.length, 0, 'no other worker got the task')
  release()
  await eventually('the instance completed', async () => (await instanceState(id)) === 'COMPLETED', 10000)
  assert.is(runs, 1)
})

test('no more tasks in hand than WORKER_MAX_JOBS_ACTIVE', async () => {
  let active = 0
  let most = 0
  let done = 0
  const { mod, start } = await testWorker('bounded', async () => {
    active++
    most = Math.max(most, active)
    await new Promise((resolve) => setTimeout(resolve, 300))
    active--
    done++
    return complete()
  })
  await run([mod], { ...fast, WORKER_MAX_JOBS_ACTIVE: 2 })
  for (let i = 0; i < 6; i++) await start(`SO-2026-${Date.now()}${i}`)
  await eventually('six tasks done', async () => done === 6, 20000)
  assert.is(most, 2)
})

test('stop waits for the task in hand and strands no task on the engine', async () => {
  let release = () => {}
  let runs = 0
  const { mod, start } = await testWorker('stop', async () => {
    runs++
    await new Promise<void>((resolve) => (release = resolve))
    return complete()
  })
  const workers = await run([mod], { ...fast, WORKER_MAX_JOBS_ACTIVE: 2 })
  const id = await start()
  await eventually('the handler running', async () => runs === 1, 10000)
  let stopped = false
  const stopping = workers.stop(10000).then(() => (stopped = true))
  // A task created while the stopping worker's poll is still open: handed back, not kept.
  const late = await start()
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.not.ok(stopped, 'stop waits for the task in hand')
  release()
  await stopping
  assert.is(await instanceState(id), 'COMPLETED', 'the task in hand was completed')
  const lateTask = await externalTaskOf(late)
  assert.ok(!lateTask.workerId || new Date(lateTask.lockExpirationTime ?? 0).getTime() < Date.now(), `the late task is not locked to the stopped worker (${lateTask.workerId})`)
  assert.is(runs, 1)
})

test('an unreachable engine is polled again with back-off, and its tasks are taken when it is back', async () => {
  const target = new URL(config.ENGINE_URL)
  const proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 80) })
  await proxy.close()
  const base = createEngineRest({ ...config, ENGINE_URL: `http://127.0.0.1:${proxy.port}` }, engineCredentials(config, 'admin'))
  let refused = 0
  const viaProxy = { ...base, post: <T>(...args: Parameters<typeof base.post>) => base.post<T>(...args).catch((error) => { refused++; throw error }) }
  let runs = 0
  const { mod, start } = await testWorker('outage', async () => {
    runs++
    return complete()
  })
  let workers: RunningWorkers | undefined
  try {
    workers = await run([mod], fast, { engine: viaProxy })
    const id = await start()
    await eventually('two polls refused', async () => refused >= 2, 10000)
    assert.is(runs, 0)
    await proxy.open()
    await eventually('the instance completed once the engine is reachable', async () => (await instanceState(id)) === 'COMPLETED', 15000)
    assert.is(runs, 1)
  } finally {
    await workers?.stop(3000)
    await proxy.close()
  }
})

test.run()
