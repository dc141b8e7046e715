import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { StepKey } from '../../lib/repositories/order-events.ts'
import type { JobContext, Outcome } from '../../lib/worker.ts'
import { createHandler } from '../../workers/reservation-release.ts'
import { fakeEvents } from './fake-events.ts'

/** Per order: active reservations, open production orders, open purchase requests. */
function fakes(open: Record<string, [number, number, number]>, failWithdraw = false) {
  const { steps, events } = fakeEvents()
  const take = (orderNumber: string, i: 0 | 1 | 2) => {
    const count = open[orderNumber]?.[i] ?? 0
    if (open[orderNumber]) open[orderNumber][i] = 0
    return count
  }
  const created: Record<string, unknown>[] = []
  const deps = {
    orders: {
      find: async (orderNumber: string) => (orderNumber in open ? { order_number: orderNumber } : undefined),
      upsert: async (row: Record<string, unknown>) => {
        created.push(row)
      },
    },
    stockReservations: { releaseForOrder: async (n: string) => take(n, 0) },
    productionOrders: {
      withdrawForOrder: async (n: string) => {
        if (failWithdraw) throw new Error('production_orders: permission denied')
        return take(n, 1)
      },
    },
    purchaseRequests: { withdrawOpenForOrder: async (n: string) => take(n, 2) },
    events,
  }
  return { open, steps, created, deps: deps as never }
}


/** The variables a completed job hands back (fails the test on any other outcome). */
function variablesOf<V>(outcome: Outcome<never>): V {
  if (outcome.kind !== 'complete') throw new Error(`expected complete, got ${outcome.kind}`)
  return outcome.variables as V
}

const job = (orderNumber: string, key: string, bpmnProcessId = 'contract-order'): JobContext<{ order: { orderNumber: string } }> => ({
  key,
  type: 'reservation-release',
  processInstanceKey: '9401',
  bpmnProcessId,
  elementId: 'RELEASE_RESERVATIONS',
  elementInstanceKey: `${key}0`,
  retries: 3,
  customHeaders: {},
  variables: { order: { orderNumber } },
})

test('a cancelled contract order gives back its stock and withdraws its production and purchase requests', async () => {
  const { open, steps, deps } = fakes({ 'CO-2026-0401': [2, 1, 3] })
  const outcome = await createHandler(deps)(job('CO-2026-0401', '601'))
  assert.equal(outcome, { kind: 'complete', variables: { reservationRelease: { reservationsReleased: 2, productionOrdersWithdrawn: 1, purchaseRequestsWithdrawn: 3 } } })
  assert.equal(open['CO-2026-0401'], [0, 0, 0])
  assert.is(steps[0].clause, 'D10 5D/6D')
  assert.is(steps[0].actor, 'worker:reservation-release')
})

test('a contract order without a row holds nothing and writes no history', async () => {
  const { steps, created, deps } = fakes({})
  const outcome = await createHandler(deps)(job('CO-2026-0402', '603'))
  assert.equal(outcome, { kind: 'complete', variables: { reservationRelease: { reservationsReleased: 0, productionOrdersWithdrawn: 0, purchaseRequestsWithdrawn: 0 } } })
  assert.is(steps.length, 0)
  assert.is(created.length, 0)
})

test('a shop order closed before its stock check holds nothing; its orders row is created for the refund and notice that follow', async () => {
  const { steps, created, deps } = fakes({})
  const outcome = await createHandler(deps)(job('SO-2026-0401', '602', 'shop-order'))
  assert.equal(outcome, { kind: 'complete', variables: { reservationRelease: { reservationsReleased: 0, productionOrdersWithdrawn: 0, purchaseRequestsWithdrawn: 0 } } })
  assert.is(created.length, 1)
  assert.is(created[0].order_number, 'SO-2026-0401')
  assert.is(created[0].channel, 'shop')
  assert.is(created[0].process_instance_key, '9401')
  assert.is(steps.length, 1)
  assert.is(steps[0].clause, 'D8 二')
})

test('a database failure is thrown (retried by the runtime) and records no step', async () => {
  const { steps, deps } = fakes({ 'CO-2026-0402': [1, 1, 0] }, true)
  try {
    await createHandler(deps)(job('CO-2026-0402', '603'))
    assert.unreachable('should have thrown')
  } catch (error) {
    assert.match((error as Error).message, 'permission denied')
  }
  assert.is(steps.length, 0)
})

test('a redelivered job gets the first counts back', async () => {
  const { steps, deps } = fakes({ 'SO-2026-0403': [1, 0, 0] })
  const handler = createHandler(deps)
  const first = await handler(job('SO-2026-0403', '604', 'shop-order'))
  const again = await handler(job('SO-2026-0403', '604', 'shop-order'))
  assert.equal(again, first)
  assert.is(variablesOf<{ reservationRelease: { reservationsReleased: number } }>(first).reservationRelease.reservationsReleased, 1)
  assert.is(steps.length, 1)
  assert.is(steps[0].clause, 'D8 二')
})

test.run()
