import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Knex } from 'knex'
import { createSandboxCarrier, type BookingRequest, type BookingResult } from '../../lib/clients/carrier.ts'
import type { StepKey, StepResult } from '../../lib/repositories/order-events.ts'
import type { Shipment, ShipmentRow, ShipmentStatus, ShipmentUpdate } from '../../lib/repositories/shipments.ts'
import type { JobContext } from '../../lib/worker.ts'
import { createHandler, toAddress, toParcels, type Variables } from '../../workers/shipping-book.ts'

const today = '2026-11-24'

/** Fake shipments repository and a fake transaction that applies `update` to the same rows. */
function shipmentFakes() {
  const rows = new Map<string, ShipmentRow>()
  const byNumber = (number: string) => [...rows.values()].find((r) => r.shipment_number === number)!
  const shipments = {
    insertOrGet: async (shipment: Shipment) => {
      const existing = rows.get(shipment.idempotency_key)
      if (existing) return { row: { ...existing }, created: false }
      const row = {
        shipment_number: `SH-2026-${String(rows.size + 1).padStart(6, '0')}`,
        tracking_number: null,
        expected_delivery_date: null,
        status: 'booked',
        booked_at: new Date('2026-11-24T02:00:00Z'),
        damage_description: null,
        ...shipment,
      } as ShipmentRow
      rows.set(shipment.idempotency_key, row)
      return { row: { ...row }, created: true }
    },
    setStatus: async (number: string, status: ShipmentStatus, update: ShipmentUpdate = {}) => Object.assign(byNumber(number), update, { status }),
    hold: async <R>(number: string, work: (row: ShipmentRow, trx: Knex.Transaction) => Promise<R>) => work({ ...byNumber(number) }, trx),
  }
  const trx = ((table: string) => {
    assert.is(table, 'shipments')
    return { where: ({ shipment_number }: { shipment_number: string }) => ({ update: async (values: object) => Object.assign(byNumber(shipment_number), values) }) }
  }) as unknown as Knex.Transaction
  trx.fn = { now: () => new Date('2026-11-24T02:00:01Z') } as never
  const results = new Map<string, unknown>()
  const steps: StepKey[] = []
  const events = {
    once: async <R>(key: StepKey, work: (trx: Knex.Transaction) => Promise<StepResult<R>>) => {
      const id = `${key.step}/${key.job_key}`
      if (!results.has(id)) {
        steps.push(key)
        results.set(id, (await work(trx)).result)
      }
      return results.get(id) as R
    },
  }
  return { rows, steps, shipments, events }
}

function fakes(answer?: BookingResult | Error) {
  const { rows, steps, shipments, events } = shipmentFakes()
  const sandbox = createSandboxCarrier()
  const calls: BookingRequest[] = []
  const carrier = {
    book: async (request: BookingRequest) => {
      calls.push(request)
      if (answer instanceof Error) throw answer
      return answer ?? sandbox.book(request)
    },
    track: sandbox.track,
  }
  const statuses: string[] = []
  const orders = { advance: async (orderNumber: string, status: string) => void statuses.push(`${orderNumber} ${status}`) }
  return { rows, steps, calls, statuses, deps: { shipments, orders, events, outside: { carrier } } as never }
}

const variables: Variables = {
  shipment: { orderNumber: 'CO-2026-0001', dispatchDate: '2026-11-26', deliveryAddress: 'Tianhe District, Guangzhou', shippingMethod: 'road', packageCount: 2, grossWeightKg: 41 },
  order: { customer: { name: 'Guangzhou Telecom Works', phone: '+86 20 8888 0001' } },
}

const job = (vars: Variables = variables, key = '601', elementInstanceKey = '8002'): JobContext<Variables> => ({
  key,
  type: 'shipping-book',
  processInstanceKey: '8001',
  bpmnProcessId: 'shipment',
  elementId: 'BOOK_CARRIER',
  elementInstanceKey,
  retries: 3,
  customHeaders: {},
  variables: vars,
})

test('addresses and parcels for the carrier', () => {
  assert.equal(toAddress('Tianhe District, Guangzhou', 'Chen Jie'), { name: 'Chen Jie', line1: 'Tianhe District, Guangzhou', postalCode: '', city: '', country: 'CN' })
  assert.equal(toAddress({ line1: '1 Century Ave', postalCode: '200120', city: 'Shanghai' }, 'Li Wei', '138'), {
    name: 'Li Wei', line1: '1 Century Ave', postalCode: '200120', city: 'Shanghai', country: 'CN', phone: '138',
  })
  assert.is(toAddress(null, 'x'), undefined)
  assert.equal(toParcels({ orderNumber: 'CO-1', packageCount: 2, grossWeightKg: 41 }).map((p) => p.weightKg), [20.5, 20.5])
  assert.equal(toParcels({ orderNumber: 'CO-1' }), [{ weightKg: 0, reference: 'CO-1 1/1' }])
})

test('books the carrier on the dispatch date with the row key and returns booking', async () => {
  const { rows, steps, calls, statuses, deps } = fakes()
  const outcome = await createHandler(deps, () => today)(job())
  assert.equal(statuses, ['CO-2026-0001 shipped'], 'the booking ships the order')
  assert.is(calls[0].idempotencyKey, 'shipping-book:8002')
  assert.is(calls[0].requestedDate, '2026-11-26')
  assert.is(calls[0].shipTo.name, 'Guangzhou Telecom Works')
  assert.is(outcome.kind, 'complete')
  if (outcome.kind !== 'complete') return
  const booking = outcome.variables.booking as Record<string, string>
  assert.equal(booking, { carrier: 'sandbox-carrier', trackingNumber: booking.trackingNumber, bookedOn: today, expectedDeliveryDate: '2026-11-28' })
  assert.match(booking.trackingNumber, /^SBX[0-9A-F]{12}$/)
  const row = rows.get('shipping-book:8002')!
  assert.is(row.tracking_number, booking.trackingNumber)
  assert.is(row.carrier, 'sandbox-carrier')
  assert.is(steps[0].clause, 'D2 三.2(2)')
})

test('a packed cabinet of 380 kg is booked with the sandbox carrier as freight, not refused', async () => {
  const { rows, deps } = fakes()
  const cabinet: Variables = { ...variables, shipment: { ...variables.shipment, packageCount: 1, grossWeightKg: 380 } }
  const outcome = await createHandler(deps, () => today)(job(cabinet, '602', '8003'))
  assert.is(outcome.kind, 'complete', JSON.stringify(outcome))
  if (outcome.kind !== 'complete') return
  const booking = outcome.variables.booking as Record<string, string>
  assert.is(booking.expectedDeliveryDate, '2026-11-30', 'freight: four days after the dispatch date')
  assert.is(rows.get('shipping-book:8003')!.tracking_number, booking.trackingNumber)
})

test('a refusal is CARRIER_REFUSED with carrierRefusal, and a later job does not ask again', async () => {
  const { rows, calls, deps } = fakes({ booked: false, code: 'no_capacity', reason: 'no pick-up slot on 2026-11-26' })
  const handler = createHandler(deps, () => today)
  const outcome = await handler(job())
  assert.equal(outcome, {
    kind: 'bpmn-error',
    code: 'CARRIER_REFUSED',
    message: 'carrier refused the booking of CO-2026-0001: no pick-up slot on 2026-11-26',
    variables: { carrierRefusal: { carrier: null, code: 'no_capacity', reason: 'no pick-up slot on 2026-11-26' } },
  })
  assert.is(rows.get('shipping-book:8002')!.status, 'refused')
  const again = await handler(job(variables, '602'))
  assert.is(again.kind, 'bpmn-error')
  assert.is(calls.length, 1)
})

test('a technical fault is thrown and leaves the row for the retry', async () => {
  const { rows, deps } = fakes(new Error('carrier API answered 503 Service Unavailable for POST /bookings'))
  try {
    await createHandler(deps, () => today)(job())
    assert.unreachable('should throw')
  } catch (error) {
    assert.match((error as Error).message, /503/)
  }
  assert.is(rows.get('shipping-book:8002')!.tracking_number, null)
  const missing = fakes()
  try {
    await createHandler(missing.deps, () => today)(job({ shipment: { orderNumber: 'CO-2026-0001' } }))
    assert.unreachable('should throw')
  } catch (error) {
    assert.match((error as Error).message, /shipment.deliveryAddress is missing/)
  }
})

test('a redelivered job gets the first booking and books once; a new job of the same element reads the row', async () => {
  const { calls, deps } = fakes()
  const handler = createHandler(deps, () => today)
  const first = await handler(job())
  const again = await handler(job())
  assert.equal(again, first)
  const other = await handler(job(variables, '603'))
  assert.equal(other, first)
  assert.is(calls.length, 1)
})

test.run()
