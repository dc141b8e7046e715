/**
 * npm run chaos, CI-sized: a dozen orders of every scenario on two engine nodes under worker kills
 * (some right after a side effect), two engine restarts (one a SIGKILL), PostgreSQL stopped for
 * 30 s, one node SIGKILLed while the other carries on, and duplicate events; every check of the
 * run must hold. First, that the checks can fail: verify() given a
 * cancelled order refunded twice says so. CHAOS_OUTAGE=proxy cuts only the run's own database
 * connections instead of stopping the server (for a machine others share).
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createDb } from '../../lib/db.ts'
import { projectRoot } from '../../lib/config.ts'
import type { DriverState } from '../../scripts/chaos/driver.ts'
import { verify } from '../../scripts/chaos/verify.ts'
import { config, rest, uniqueOrderNumber } from '../helpers.ts'
import { insertOrder } from '../reliability/support.ts'

test('the checks catch a cancelled order refunded twice, effects PostgreSQL does not know (by order key and by job key) and an order the engine does not know', async () => {
  const db = createDb(config.DATABASE_URL)
  try {
    const orderNumber = uniqueOrderNumber('SO')
    await insertOrder(db, orderNumber)
    await db('refunds').insert([
      { refund_number: `RF-${orderNumber}-1`, order_number: orderNumber, amount: 260, status: 'succeeded', idempotency_key: `cancellation:${orderNumber}` },
      { refund_number: `RF-${orderNumber}-2`, order_number: orderNumber, amount: 260, status: 'succeeded', idempotency_key: `cancellation-again:${orderNumber}` },
    ])
    const state: DriverState = {
      orders: [{ index: 0, scenario: 'cancelled', orderNumber, roots: ['no-such-instance-2251799813999999'], done: true }],
      events: [], userTasksCompleted: 0, apiRetries: 0, unexpectedTasks: new Set(),
    }
    const calls = [
      { service: 'payment' as const, key: `cancellation:${orderNumber}`, at: 0, answer: 'effect' as const, body: { orderNumber } },
      { service: 'carrier' as const, key: `shipment:${orderNumber}`, at: 0, answer: 'effect' as const, body: { orderNumber } },
      // A job-keyed booking (shipping-book:<element instance>): the key does not name the order, the request does.
      { service: 'carrier' as const, key: 'shipping-book:2251799813999998', at: 0, answer: 'effect' as const, body: { orderNumber } },
    ]
    const { checks } = await verify({ db, rest, state, calls })
    const failed = (name: string) => checks.find((c) => c.name === name)
    assert.is(failed('no order lost')?.ok, false)
    assert.match(failed('no order lost')!.detail, 'unknown to the engine')
    assert.is(failed('refunds, bookings and purchase requests exactly once per order step')?.ok, false)
    assert.match(failed('refunds, bookings and purchase requests exactly once per order step')!.detail, '2 refunds, expected 1')
    assert.is(failed('outside calls match PostgreSQL')?.ok, false)
    assert.match(failed('outside calls match PostgreSQL')!.detail, `carrier did shipment:${orderNumber} but PostgreSQL has no row for it`)
    assert.match(failed('outside calls match PostgreSQL')!.detail, 'carrier did shipping-book:2251799813999998 but PostgreSQL has no row for it')
    assert.match(failed('outside calls match PostgreSQL')!.detail, `cancellation-again:${orderNumber} but the payment provider never did it`)
  } finally {
    await db.destroy()
  }
})

test('a CI-sized chaos run loses no order and does nothing twice', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chaos-'))
  const out = path.join(dir, 'result.json')
  try {
    const args = ['--orders', '12', '--concurrency', '12', '--kills', '6', '--kill-every', '8', '--engine-restarts', '2', '--postgres-outage', '30', '--nodes', '2', '--node-kills', '1',
      '--first-fault', '20', '--fault-gap', '30', '--drive', '900', '--recovery', '240', '--seed', '20261125', '--out', out,
      ...(process.env.CHAOS_OUTAGE ? ['--outage', process.env.CHAOS_OUTAGE] : [])]
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/chaos.ts', ...args], { cwd: projectRoot, stdio: ['ignore', 'inherit', 'pipe'] })
      let stderr = ''
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      child.on('close', (status) => resolve({ code: status ?? 1, stderr }))
    })
    const result = JSON.parse(await readFile(out, 'utf8').catch(() => 'null'))
    assert.ok(result, `npm run chaos wrote no result:\n${stderr.slice(-3000)}`)
    for (const check of result.checks) assert.ok(check.ok, `${check.name}: ${check.detail}`)
    assert.is(code, 0, stderr.slice(-3000))
    assert.is(result.ordersCompleted, 12)
    assert.ok(result.workerKills.total >= 6, `${result.workerKills.total} worker kills`)
    assert.ok(result.workerKills.afterSideEffect >= 1, 'a kill right after a side effect')
    assert.is(result.faults.length, 4, 'two engine restarts, one database outage and one node kill')
    assert.match(result.faults[0].what, 'engine node 2 of 2 killed (SIGKILL) and started again')
    assert.ok(result.effects.refunds >= 4 && result.effects.carrierBookings >= 8 && result.effects.purchaseRequests >= 2, JSON.stringify(result.effects))
    assert.is(result.messages.outboxExpired, 0, 'no event expired before its wait opened')
    assert.ok(result.messages.outboxCorrelated > 0 && result.messages.engineMessageCatches <= result.messages.outboxCorrelated, JSON.stringify(result.messages))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
