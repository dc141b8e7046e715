/**
 * npm run bench: its diagram copies, its engine set-ups, and one tiny end-to-end run — on the running
 * engine, then on a two-node engine it starts itself (a smoke test: no timing assertions).
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync } from 'node:fs'
import { dataDir, loadConfig, projectRoot } from '../../lib/config.ts'
import { engineReady } from '../../lib/engine.ts'
import { benchCopy } from '../../scripts/bench/diagrams.ts'
import { engineSetup, parseSetups } from '../../scripts/bench/engines.ts'
import { summarise } from '../../scripts/bench/stats.ts'

test('the benchmark copy renames process ids, call targets and external-task topics, and nothing else', async () => {
  const xml = await readFile(path.join(projectRoot, 'processes', 'contract-order.bpmn'), 'utf8')
  const copy = benchCopy(xml)
  assert.ok(copy.includes('<bpmn:process id="bench-contract-order"'))
  assert.ok(copy.includes('bpmnElement="bench-contract-order"'))
  assert.ok(copy.includes('calledElement="bench-shipment"'))
  assert.ok(copy.includes('camunda:topic="bench-order-validate"'))
  assert.not.ok(/camunda:topic="(?!bench-)/.test(copy), 'a topic left unprefixed')
  // Not copied: the call to production-fulfilment (off the benchmark's path) keeps its target.
  assert.ok(copy.includes('calledElement="production-fulfilment"'))
  // Variable names that happen to equal a process id stay as they are.
  assert.ok(copy.includes('target="shipment"'))
  assert.is(copy.replace(/bench-/g, '').length, xml.length)
})

test('percentiles are nearest-rank, and nothing to summarise gives nulls', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i)
  assert.equal(summarise(hundred), { count: 100, p50: 50, p99: 99, min: 1, max: 100 })
  assert.equal(summarise([7]), { count: 1, p50: 7, p99: 7, min: 7, max: 7 })
  assert.equal(summarise([]), { count: 0, p50: null, p99: null, min: null, max: null })
})

test('--engines names the set-ups to compare; each the benchmark starts runs on ports and folders of its own', () => {
  assert.equal(parseSetups('h2,pg,pg2'), ['h2', 'pg', 'pg2'])
  assert.throws(() => parseSetups('pg,mysql'), /--engines expects a comma-separated list of h2, pg, pg2, current; got "pg,mysql"/)
  assert.throws(() => parseSetups('pg,pg'), /names an engine twice/)
  const base = loadConfig({ ...process.env, ENGINE_URL: 'http://127.0.0.1:8080', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/order_flow_bench_1', DATA_DIR: '/tmp/of' })
  const h2 = engineSetup(base, 'h2', '1')
  const pg2 = engineSetup(base, 'pg2', '1')
  assert.equal([h2.config.ENGINE_URL, h2.config.ENGINE_NODES, h2.config.DATA_DIR, h2.config.ENGINE_DATABASE_URL], ['http://127.0.0.1:8180', 1, '/tmp/of/bench/engine-h2', 'h2:engine/h2/bench'])
  assert.equal([pg2.config.ENGINE_URL, pg2.config.ENGINE_NODES, pg2.config.DATA_DIR], ['http://127.0.0.1:8180', 2, '/tmp/of/bench/engine-pg2'])
  assert.match(pg2.config.ENGINE_DATABASE_URL, /^postgres:\/\/postgres@127\.0\.0\.1:5432\/order_flow_bench_engine_1_pg2$/)
  assert.is(pg2.config.DATABASE_URL, base.DATABASE_URL, 'every set-up shares the order database')
  const current = engineSetup(base, 'current', '1')
  assert.equal([current.own, current.config], [false, base])
})

/** Runs the benchmark with `args` (a tiny run); its JSON result. */
async function tinyRun(args: string[]) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-'))
  const out = path.join(dir, 'result.json')
  try {
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'scripts/bench.ts', '--orders', '2', '--concurrency', '2', '--warmup', '0', '--timer-idle', '2', '--phase-timeout', '60', ...args, '--out', out],
        { cwd: projectRoot, stdio: ['ignore', 'ignore', 'pipe'] },
      )
      let stderr = ''
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      child.on('close', (status) => resolve({ code: status ?? 1, stderr }))
    })
    assert.is(code, 0, `npm run bench failed:\n${stderr.slice(-3000)}`)
    return JSON.parse(await readFile(out, 'utf8'))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Every figure of one engine set-up's run is there. */
function assertEngineRun(run: any, withShortPoll: boolean) {
  const phases = ['realLongPoll', 'noopLongPoll', ...(withShortPoll ? ['realShortPoll'] : [])]
  assert.equal(Object.keys(run.phases).sort(), [...phases].sort(), `${run.name}: its phases`)
  for (const name of phases) {
    const phase = run.phases[name]
    assert.is(phase.completed, 2, `${run.name} ${name}: both orders completed`)
    for (const field of ['ordersPerS', 'serviceTasksPerS', 'durationS']) assert.type(phase[field], 'number', `${name}.${field}`)
    assert.ok(phase.serviceTasks >= 14, `${name}: the seven service tasks of each order ran (${phase.serviceTasks})`)
    for (const figure of ['endToEndMs', 'driverReactionMs', 'createdToHandlerMs', 'handlerToNextMs']) {
      for (const p of ['p50', 'p99']) assert.type(phase[figure][p], 'number', `${name}.${figure}.${p}`)
    }
    assert.is(phase.cpu.engineNodesS.length, run.nodes, `${name}: CPU per engine node`)
    for (const used of phase.cpu.engineNodesS) assert.ok(used > 0, `${name}: the engine used CPU (${used} s)`)
    assert.ok(phase.cpu.workersS > 0 && phase.cpu.postgresS > 0, `${name}: workers and PostgreSQL used CPU`)
  }
  for (const when of ['idle', 'underLoad']) {
    assert.ok(run.timers[when].count > 0, `timers ${when} fired`)
    for (const p of ['p50', 'p99', 'max']) assert.type(run.timers[when][p], 'number', `timers.${when}.${p}`)
    assert.type(run.timers[when].early, 'number')
  }
  assert.type(run.ratios.realOverNoopThroughput, 'number')
  assert.type(run.ratios.longOverShortPollOverheadP50, withShortPoll ? 'number' : 'object')
  assert.is(run.memoryPeakMiB.engineNodesRssMiB.length, run.nodes)
  for (const rss of run.memoryPeakMiB.engineNodesRssMiB) assert.ok(rss > 100, `engine node resident memory (${rss} MiB)`)
  assert.ok(run.perOrder.engineCpuS > 0 && run.perOrder.workersCpuS > 0)
  assert.ok(run.perOrder.orderDatabase.rows > 0 && run.perOrder.orderDatabase.bytes > 0, 'an order adds rows to the order database')
  if (run.database === 'PostgreSQL') {
    assert.ok(run.perOrder.engineDatabase.rows > 0 && run.perOrder.engineDatabase.tables.act_hi_procinst >= 2, 'an order adds history: its instance and its shipment')
  } else {
    assert.is(run.perOrder.engineDatabase, null)
  }
}

test('a tiny run on the running engine, then on a two-node engine of its own, writes every figure and removes that engine', async () => {
  const result = await tinyRun(['--engines', 'current,pg2', '--page-runs', '2', '--timer-idle', '1'])
  assert.equal(result.engines.map((run: any) => run.name), ['current', 'pg2'])
  const [current, pg2] = result.engines
  assertEngineRun(current, true)
  assert.equal([pg2.nodes, pg2.database], [2, 'PostgreSQL'])
  assertEngineRun(pg2, false)
  assert.equal([result.auditorPage.instances, result.auditorPage.historyRows], [4, 300], 'the order page measured: 4 instances, 300 timeline rows')
  for (const figure of ['storyAnswerMs', 'pageMs']) assert.is(result.auditorPage[figure].count, 2, `auditorPage.${figure} loaded --page-runs times`)
  assert.is(result.targets.length, 12, 'five targets per engine, long against short polling on the first, the auditor page')
  assert.ok(result.machine.cores >= 1 && result.machine.operaton && result.commit)
  const setup = engineSetup(loadConfig(), 'pg2', '0')
  assert.not.ok(await engineReady(setup.config), 'the two-node engine is stopped')
  assert.not.ok(existsSync(path.join(dataDir(loadConfig()), 'bench', 'engine-pg2')), 'its data folder is removed')
})

test.run()
