/**
 * Two engine nodes on one PostgreSQL (ENGINE_NODES=2): the suite's engine is node 1, and this file
 * starts node 2 beside it on the next port (stopped at the end). A task created on either node is
 * picked up in well under a second by workers polling both; an order started on node 1 is driven
 * through node 2; the REST client moves on from a dead node; an order goes on when a node is killed.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { engineNodeUrls, loadConfig } from '../../lib/config.ts'
import { createDb } from '../../lib/db.ts'
import { clusterStatus, enginePaths, engineReady, startNode, stopEngine } from '../../lib/engine.ts'
import { createEngineRest, type EngineRest } from '../../lib/engine-rest.ts'
import { seedDemoCatalogue } from '../../lib/seed.ts'
import { startWorkers, type HandledJob } from '../../lib/worker-runtime.ts'
import { complete, type WorkerDeps } from '../../lib/worker.ts'
import { deployBenchResources } from '../../scripts/bench/diagrams.ts'
import { driveOrders } from '../../scripts/bench/driver.ts'
import { engineHistory } from '../../scripts/bench/history.ts'
import { engineOverhead } from '../../scripts/bench/stats.ts'
import { startBenchWorkers } from '../../scripts/bench/workers.ts'
import { config, deployResources, eventually, oneTaskProcess } from '../helpers.ts'

// A long poll held 20 s: a task on a node nobody long-polls would wait seconds, not milliseconds.
const cluster = loadConfig({ ...process.env, ENGINE_NODES: '2', WORKER_POLL_INTERVAL_MS: '20000', WORKER_JOB_TIMEOUT_MS: '10000' })
const node = (n: number): EngineRest => createEngineRest(cluster, undefined, { node: n })
const quiet = () => undefined
const suffix = Math.random().toString(36).slice(2, 8)
const runId = String(Date.now()).slice(-6)

if (config.ENGINE_DATABASE_URL.startsWith('h2:')) {
  console.log('engine-cluster: skipped, the engine under test is on H2 (one engine per file); npm test runs it on PostgreSQL')
} else {
  test.before(async () => {
    await startNode(cluster, 2, quiet)
  })

  test.after(async () => {
    await stopEngine(cluster, quiet, { node: 2 })
  })

  test('both nodes answer, each with its own port, pid and log, and the job log names the node that ran a job', async () => {
    const nodes = await clusterStatus(cluster)
    assert.equal(nodes.map((n) => [n.node, n.url, n.ready]), engineNodeUrls(cluster).map((url, i) => [i + 1, url, true]))
    assert.ok(nodes[0].pid !== nodes[1].pid, 'two processes')
    // An unpinned client takes the nodes in turn.
    const spread = createEngineRest(cluster)
    const roots: string[] = []
    for (let i = 0; i < 4; i++) {
      roots.push(spread.root)
      await spread.get('/version')
    }
    assert.equal(roots, engineNodeUrls(cluster).flatMap((url) => [`${url}/engine-rest`]).concat(engineNodeUrls(cluster).map((url) => `${url}/engine-rest`)))
    assert.ok(existsSync(enginePaths(cluster, 2).log))
    assert.match(await readFile(enginePaths(cluster, 2).log, 'utf8'), `starting engine node 2 on ${engineNodeUrls(cluster)[1]}`)
    // An asynchronous continuation runs on whichever node's job executor takes it; its job log names that node.
    const id = `cluster-async-${suffix}`
    const xml = oneTaskProcess(id, { candidateGroups: 'sales-assistant' }).replace('<bpmn:userTask id="TASK"', '<bpmn:userTask id="TASK" camunda:asyncBefore="true"')
    await deployResources(id, { [`${id}.bpmn`]: xml })
    const instance = await node(2).post<{ id: string }>(`/process-definition/key/${id}/start`, {})
    const log = await eventually('the job log of the asynchronous continuation', async () => {
      const rows = await node(1).get<{ hostname: string; successLog: boolean }[]>(`/history/job-log?processInstanceId=${instance.id}`)
      return rows.some((row) => row.successLog) && rows
    })
    const ports = engineNodeUrls(cluster).map((url) => new URL(url).port)
    for (const row of log) assert.match(row.hostname, new RegExp(`:(${ports.join('|')})$`), `job log hostname ${row.hostname} names a node`)
    await node(1).delete(`/process-instance/${instance.id}`)
  })

  test('a task created on either node reaches a worker polling both in well under a second', async () => {
    const topic = `cluster-pickup-${suffix}`
    await deployResources(topic, { [`${topic}.bpmn`]: oneTaskProcess(topic) })
    const handled = new Map<string, number>()
    const workers = await startWorkers({
      config: cluster,
      deps: {} as WorkerDeps,
      modules: [{ taskType: topic, variablesSchema: { type: 'object', properties: {} }, errorCodes: [], createHandler: () => async (job) => {
        handled.set(job.processInstanceKey, Date.now())
        return complete({})
      } }],
    })
    const pickups: { node: number; ms: number }[] = []
    try {
      // Both long polls are open before the first task, and each task comes after the last one was taken.
      await new Promise((resolve) => setTimeout(resolve, 1000))
      for (let i = 0; i < 10; i++) {
        const on = (i % 2) + 1
        const instance = await node(on).post<{ id: string }>(`/process-definition/key/${topic}/start`, {})
        const created = Date.now()
        const at = await eventually(`the task of instance ${i} on node ${on}`, async () => handled.get(instance.id), 10000)
        pickups.push({ node: on, ms: at - created })
      }
    } finally {
      await workers.stop(5000)
    }
    console.log(`  pickup after the start call returned, node 1: ${pickups.filter((p) => p.node === 1).map((p) => p.ms).join(', ')} ms; node 2: ${pickups.filter((p) => p.node === 2).map((p) => p.ms).join(', ')} ms`)
    for (const pickup of pickups) assert.ok(pickup.ms < 1000, `a task created on node ${pickup.node} waited ${pickup.ms} ms for a worker`)
  })

  test('the long polls of both nodes together never take more tasks than WORKER_MAX_JOBS_ACTIVE', async () => {
    const topic = `cluster-bounded-${suffix}`
    await deployResources(topic, { [`${topic}.bpmn`]: oneTaskProcess(topic) })
    let inFlight = 0
    let most = 0
    const done = new Set<string>()
    const workers = await startWorkers({
      config: { ...cluster, WORKER_MAX_JOBS_ACTIVE: 3, WORKER_POLL_INTERVAL_MS: 1000 },
      deps: {} as WorkerDeps,
      modules: [{ taskType: topic, variablesSchema: { type: 'object', properties: {} }, errorCodes: [], createHandler: () => async (job) => {
        most = Math.max(most, ++inFlight)
        await new Promise((resolve) => setTimeout(resolve, 300))
        inFlight--
        done.add(job.processInstanceKey)
        return complete({})
      } }],
    })
    try {
      const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => node((i % 2) + 1).post<{ id: string }>(`/process-definition/key/${topic}/start`, {})))
      await eventually('all 12 tasks handled', async () => ids.every(({ id }) => done.has(id)), 30000)
    } finally {
      await workers.stop(5000)
    }
    assert.ok(most <= 3, `${most} tasks in hand at once`)
    assert.is(most, 3, 'the slots were used')
  })

  test('an order started on node 1 is driven through node 2: its service tasks are picked up in under a second', async () => {
    const db = createDb(cluster.DATABASE_URL)
    const handled: HandledJob[] = []
    try {
      await seedDemoCatalogue(db)
      await db('stock').where({ sku: 'PP-24C6' }).update({ on_hand: 1000000 })
      await deployBenchResources(node(1))
      // Starts on node 1, every task completion, message and read through node 2.
      const split: EngineRest = { ...node(2), post: (path, body, options) => (path.endsWith('/start') ? node(1) : node(2)).post(path, body, options) }
      const workers = await startBenchWorkers({ config: cluster, db, kind: 'real', polling: 'long', shortPollMs: 500, recorded: new Map(), onJobHandled: (job) => handled.push(job) })
      let drive
      try {
        drive = await driveOrders({ rest: split, count: 2, concurrency: 2, deadline: Date.now() + 120000, runId: `${runId}1` })
      } finally {
        await workers.stop(5000)
      }
      assert.is(drive.timedOut, false)
      assert.is(drive.orders.filter((o) => o.completedAt).length, 2)
      assert.ok(drive.userTasksCompleted >= 16, `${drive.userTasksCompleted} user tasks completed through node 2`)
      const overhead = await engineOverhead(engineHistory(node(1)), handled.filter((job) => job.outcome))
      assert.ok(overhead.serviceTasks >= 14, `${overhead.serviceTasks} service tasks`)
      assert.ok(overhead.createdToHandler.max! < 1000, `task created → handler: max ${overhead.createdToHandler.max} ms`)
    } finally {
      await db.destroy()
    }
  })

  test('the REST client moves to a live node when its node is down, and an order goes on when a node is killed', async () => {
    const db = createDb(cluster.DATABASE_URL)
    try {
      const workers = await startBenchWorkers({ config: cluster, db, kind: 'real', polling: 'long', shortPollMs: 500, recorded: new Map(), onJobHandled: () => undefined })
      let drive
      try {
        const driving = driveOrders({ rest: node(1), count: 2, concurrency: 2, deadline: Date.now() + 180000, runId: `${runId}2` })
        // Node 2 dies (SIGKILL) while the orders run: the workers' long poll there breaks, its
        // outcomes go to node 1, and tasks it had locked come back when their lock runs out.
        await new Promise((resolve) => setTimeout(resolve, 1500))
        await stopEngine(cluster, quiet, { hard: true, node: 2 })
        assert.not.ok(await engineReady(cluster, 2))
        const anyNode = createEngineRest(cluster, undefined, { prefer: 2 })
        assert.ok(await anyNode.get<{ version: string }>('/version'), 'a call preferring the dead node is answered')
        assert.is(anyNode.root, `${engineNodeUrls(cluster)[0]}/engine-rest`, 'and the client stays with the live node')
        assert.type((await anyNode.post<{ count: number }>('/process-instance/count', {})).count, 'number', 'a POST too')
        drive = await driving
      } finally {
        await workers.stop(5000)
      }
      assert.is(drive.timedOut, false)
      assert.is(drive.orders.filter((o) => o.completedAt).length, 2, 'both orders completed with one node killed')
      await startNode(cluster, 2, quiet)
      assert.ok(await engineReady(cluster, 2), 'node 2 starts again on the same database')
    } finally {
      await db.destroy()
    }
  })

  test.run()
}
