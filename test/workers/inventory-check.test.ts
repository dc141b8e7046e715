import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { StepKey } from '../../lib/repositories/order-events.ts'
import type { OrderUpsert } from '../../lib/repositories/orders.ts'
import type { ProductRow } from '../../lib/repositories/products.ts'
import type { ReservationRequest, StockReservationRow } from '../../lib/repositories/stock-reservations.ts'
import type { JobContext, Outcome } from '../../lib/worker.ts'
import { createHandler } from '../../workers/inventory-check.ts'
import type { OrderWithLines } from '../../workers/quote-calculate.ts'
import { fakeEvents } from './fake-events.ts'

const catalogue = [
  { sku: 'ODF-144', name: 'Optical distribution frame 144-core', model: 'ODF-144-FC' },
  { sku: 'ODF-288', name: 'Optical distribution frame 288-core', model: 'ODF-288-SC' },
  { sku: 'PP-24C6', name: 'Patch panel 24-port Cat6', model: 'PP-24-C6-1U' },
] as ProductRow[]

/** Stock and reservations in memory, with the repository's rules (one active reservation per order and SKU). */
function fakes(onHand: Record<string, number>, options: { knownOrders?: string[]; failReserve?: boolean } = {}) {
  const reservations: StockReservationRow[] = []
  const upserts: OrderUpsert[] = []
  const statuses: string[] = []
  const { steps, events } = fakeEvents()
  const known = new Set(options.knownOrders ?? [])
  const active = (sku: string) => reservations.filter((r) => r.sku === sku && r.status === 'reserved')
  const deps = {
    products: {
      find: async (sku: string) => catalogue.find((p) => p.sku === sku),
      findByModel: async (model: string) => catalogue.find((p) => p.model.toLowerCase() === model.toLowerCase()),
    },
    stockReservations: {
      listForOrder: async (orderNumber: string) => reservations.filter((r) => r.order_number === orderNumber),
      releaseForOrder: async (orderNumber: string) => {
        const held = reservations.filter((r) => r.order_number === orderNumber && r.status === 'reserved')
        for (const r of held) r.status = 'released'
        return held.length
      },
      reserve: async (request: ReservationRequest) => {
        if (options.failReserve) throw new Error('deadlock detected')
        const available = (onHand[request.sku] ?? 0) - active(request.sku).reduce((sum, r) => sum + r.quantity, 0)
        const existing = active(request.sku).find((r) => r.order_number === request.order_number)
        if (existing) return { reservation: existing, created: false, available }
        if (available < request.quantity) return { created: false, available }
        const reservation = { id: reservations.length + 1, ...request, job_key: request.job_key ?? null, status: 'reserved', reserved_at: new Date(), closed_at: null } as StockReservationRow
        reservations.push(reservation)
        return { reservation, created: true, available: available - request.quantity }
      },
    },
    orders: {
      find: async (orderNumber: string) => (known.has(orderNumber) ? { order_number: orderNumber } : undefined),
      upsert: async (order: OrderUpsert) => {
        upserts.push(order)
        known.add(order.order_number)
      },
      advance: async (_n: string, status: string) => void statuses.push(status),
    },
    events,
  }
  const held = () => reservations.filter((r) => r.status === 'reserved').map((r) => [r.order_number, r.sku, r.quantity])
  return { reservations, held, upserts, statuses, steps, deps: deps as never }
}

const contractOrder: OrderWithLines = {
  orderNumber: 'CO-2026-0301',
  lines: [
    { productName: 'Distribution frame', model: 'ODF-144-FC', quantity: 4 },
    { productName: 'Distribution frame', model: 'ODF-144-FC', quantity: 2 },
    { productName: 'Patch panel', model: 'PP-24-C6-1U', quantity: 10 },
  ],
}


/** The variables a completed job hands back (fails the test on any other outcome). */
function variablesOf<V>(outcome: Outcome<never>): V {
  if (outcome.kind !== 'complete') throw new Error(`expected complete, got ${outcome.kind}`)
  return outcome.variables as V
}

const job = (order: OrderWithLines, key: string, bpmnProcessId = 'contract-order'): JobContext<{ order: OrderWithLines }> => ({
  key,
  type: 'inventory-check',
  processInstanceKey: '9301',
  bpmnProcessId,
  elementId: 'INVENTORY_CHECK',
  elementInstanceKey: `${key}0`,
  retries: 3,
  customHeaders: {},
  variables: { order },
})

test('stock covering every line is reserved per SKU and the order goes to shipping (D10 5D/6D)', async () => {
  const { held, statuses, steps, upserts, deps } = fakes({ 'ODF-144': 12, 'PP-24C6': 150 }, { knownOrders: ['CO-2026-0301'] })
  const outcome = await createHandler(deps)(job(contractOrder, '501'))
  assert.equal(outcome, { kind: 'complete', variables: { stockSufficient: true, stockShortages: [] } })
  assert.equal(held(), [['CO-2026-0301', 'ODF-144', 6], ['CO-2026-0301', 'PP-24C6', 10]])
  assert.equal(statuses, ['stock-reserved'])
  assert.is(steps[0].clause, 'D10 5D/6D')
  assert.is(upserts.length, 0, 'a contract order already has its row')
})

test('short stock: what is there stays reserved, the rest is the shortage list', async () => {
  const { held, statuses, deps } = fakes({ 'ODF-144': 4, 'PP-24C6': 150 }, { knownOrders: ['CO-2026-0301'] })
  const order = { ...contractOrder, lines: [...contractOrder.lines, { productName: 'Custom shelter', model: 'NS-1', quantity: 1 }] }
  const outcome = await createHandler(deps)(job(order, '502'))
  assert.equal(outcome, {
    kind: 'complete',
    variables: {
      stockSufficient: false,
      stockShortages: [
        { sku: 'ODF-144', productName: 'Distribution frame', model: 'ODF-144-FC', ordered: 6, reserved: 4, quantity: 2, material: 'Distribution frame' },
        { sku: null, productName: 'Custom shelter', model: 'NS-1', ordered: 1, reserved: 0, quantity: 1, material: 'Custom shelter' },
      ],
    },
  })
  assert.equal(held(), [['CO-2026-0301', 'ODF-144', 4], ['CO-2026-0301', 'PP-24C6', 10]])
  assert.equal(statuses, ['stock-short'])
})

test('a shop order gets its orders row, and a re-check finds the stock it holds', async () => {
  const shopOrder: OrderWithLines = { orderNumber: 'SO-2026-0301', channel: 'shop', customer: { name: 'Zhang Wei' }, lines: [{ productName: 'Frame', sku: 'ODF-288', quantity: 3 }] }
  const { held, reservations, upserts, steps, deps } = fakes({ 'ODF-288': 3 })
  const handler = createHandler(deps)
  const first = await handler(job(shopOrder, '503', 'shop-order'))
  const recheck = await handler(job(shopOrder, '504', 'shop-order'))
  assert.equal(first, { kind: 'complete', variables: { stockSufficient: true, stockShortages: [] } })
  assert.equal(recheck, first)
  assert.equal(held(), [['SO-2026-0301', 'ODF-288', 3]])
  assert.is(reservations.length, 1, 'the re-check made no second reservation')
  assert.equal([upserts.length, upserts[0].channel, upserts[0].customer_name], [1, 'shop', 'Zhang Wei'])
  assert.is(steps[0].clause, 'D8 二')
})

test('a substitute replaces the lines: the old reservation is given back and the new one taken', async () => {
  const { held, deps } = fakes({ 'ODF-288': 1, 'ODF-144': 5 }, { knownOrders: ['SO-2026-0302'] })
  const handler = createHandler(deps)
  const order: OrderWithLines = { orderNumber: 'SO-2026-0302', lines: [{ sku: 'ODF-288', quantity: 3 }] }
  const short = await handler(job(order, '505', 'shop-order'))
  assert.is(variablesOf<{ stockSufficient: boolean }>(short).stockSufficient, false)
  assert.equal(held(), [['SO-2026-0302', 'ODF-288', 1]])
  const substituted = await handler(job({ ...order, lines: [{ sku: 'ODF-144', quantity: 3 }] }, '506', 'shop-order'))
  assert.equal(substituted, { kind: 'complete', variables: { stockSufficient: true, stockShortages: [] } })
  assert.equal(held(), [['SO-2026-0302', 'ODF-144', 3]])
})

test('a database failure is thrown (retried by the runtime) and records no step', async () => {
  const { steps, deps } = fakes({ 'ODF-144': 12 }, { knownOrders: ['CO-2026-0301'], failReserve: true })
  try {
    await createHandler(deps)(job(contractOrder, '507'))
    assert.unreachable('should have thrown')
  } catch (error) {
    assert.match((error as Error).message, 'deadlock detected')
  }
  assert.is(steps.length, 0)
})

test('a redelivered job gets the first result and reserves nothing again', async () => {
  const { reservations, deps } = fakes({ 'ODF-144': 12, 'PP-24C6': 150 }, { knownOrders: ['CO-2026-0301'] })
  const handler = createHandler(deps)
  const first = await handler(job(contractOrder, '508'))
  const again = await handler(job(contractOrder, '508'))
  assert.equal(again, first)
  assert.is(reservations.length, 2)
})

test.run()
