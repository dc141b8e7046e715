/** npm run bench: its diagram copies, and one tiny end-to-end run (a smoke test: no timing assertions). */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { projectRoot } from '../../lib/config.ts'
import { benchCopy } from '../../scripts/bench/diagrams.ts'
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

test('a tiny run drives orders through every phase and writes every figure', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-'))
  const out = path.join(dir, 'result.json')
  try {
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'scripts/bench.ts', '--orders', '2', '--concurrency', '2', '--warmup', '0', '--timer-idle', '2', '--phase-timeout', '60', '--page-runs', '2', '--out', out],
        { cwd: projectRoot, stdio: ['ignore', 'ignore', 'pipe'] },
      )
      let stderr = ''
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      child.on('close', (status) => resolve({ code: status ?? 1, stderr }))
    })
    assert.is(code, 0, `npm run bench failed:\n${stderr.slice(-3000)}`)
    const result = JSON.parse(await readFile(out, 'utf8'))
    for (const name of ['realLongPoll', 'noopLongPoll', 'realShortPoll']) {
      const phase = result.phases[name]
      assert.is(phase.completed, 2, `${name}: both orders completed`)
      for (const field of ['ordersPerS', 'serviceTasksPerS', 'durationS']) assert.type(phase[field], 'number', `${name}.${field}`)
      assert.ok(phase.serviceTasks >= 14, `${name}: the seven service tasks of each order ran (${phase.serviceTasks})`)
      for (const figure of ['endToEndMs', 'driverReactionMs', 'createdToHandlerMs', 'handlerToNextMs']) {
        for (const p of ['p50', 'p99']) assert.type(phase[figure][p], 'number', `${name}.${figure}.${p}`)
      }
    }
    for (const when of ['idle', 'underLoad']) {
      assert.ok(result.timers[when].count > 0, `timers ${when} fired`)
      for (const p of ['p50', 'p99', 'max']) assert.type(result.timers[when][p], 'number', `timers.${when}.${p}`)
      assert.type(result.timers[when].early, 'number')
    }
    assert.type(result.ratios.realOverNoopThroughput, 'number')
    assert.type(result.ratios.longOverShortPollOverheadP50, 'number')
    for (const field of ['engineRssMiB', 'workersRssMiB', 'postgresPssMiB']) assert.type(result.memoryPeakMiB[field], 'number', field)
    assert.equal([result.auditorPage.instances, result.auditorPage.historyRows], [4, 300], 'the order page measured: 4 instances, 300 timeline rows')
    for (const figure of ['storyAnswerMs', 'pageMs']) assert.is(result.auditorPage[figure].count, 2, `auditorPage.${figure} loaded --page-runs times`)
    assert.is(result.targets.length, 5)
    assert.ok(result.machine.cores >= 1 && result.machine.operaton && result.commit)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
