import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Knex } from 'knex'
import { createSandboxCarrier, type BookingRequest, type BookingResult } from '../../lib/clients/carrier.ts'
import type { StepKey, StepResult } from '../../lib/repositories/order-events.ts'
import type { ReturnRequest, ReturnStatus } from '../../lib/repositories/returns.ts'
import type { Shipment, ShipmentRow, ShipmentStatus, ShipmentUpdate } from '../../lib/repositories/shipments.ts'
import type { JobContext } from '../../lib/worker.ts'
import { loadConfig } from '../../lib/config.ts'
import { createHandler, returnsAddressOf, type Variables } from '../../workers/return-pickup.ts'

const config = loadConfig({ RETURNS_ADDRESS: 'Returns desk|No. 3 Store, Huangpu Industrial Park|510530|Guangzhou|CN|020-8222 0000' }, '/nonexistent/.env')
const returnsDesk = { name: 'Returns desk', line1: 'No. 3 Store, Huangpu Industrial Park', postalCode: '510530', city: 'Guangzhou', country: 'CN', phone: '020-8222 0000' }

const today = '2026-11-24'

function fakes(answer?: BookingResult | Error, orderData: Record<string, unknown> = { customer: { name: 'Zhang Wei' }, deliveryAddress: 'Yuexiu District, Guangzhou' }) {
  const shipmentRows = new Map<string, ShipmentRow>()
  const byNumber = (number: string) => [...shipmentRows.values()].find((r) => r.shipment_number === number)!
  const shipments = {
    insertOrGet: async (shipment: Shipment) => {
      const existing = shipmentRows.get(shipment.idempotency_key)
      if (existing) return { row: { ...existing }, created: false }
      const row = { shipment_number: `SH-2026-00000${shipmentRows.size + 1}`, tracking_number: null, status: 'booked', damage_description: null, ...shipment } as ShipmentRow
      shipmentRows.set(shipment.idempotency_key, row)
      return { row: { ...row }, created: true }
    },
    setStatus: async (number: string, status: ShipmentStatus, update: ShipmentUpdate = {}) => Object.assign(byNumber(number), update, { status }),
    hold: async <R>(number: string, work: (row: ShipmentRow, trx: Knex.Transaction) => Promise<R>) => work({ ...byNumber(number) }, trx),
  }
  const trx = ((_table: string) => ({
    where: ({ shipment_number }: { shipment_number: string }) => ({ update: async (values: object) => Object.assign(byNumber(shipment_number), values) }),
  })) as unknown as Knex.Transaction
  trx.fn = { now: () => new Date() } as never
  const returnRows = new Map<string, ReturnRequest & { status: ReturnStatus }>()
  const returns = {
    insertOrGet: async (request: ReturnRequest) => {
      if (!returnRows.has(request.return_number!)) returnRows.set(request.return_number!, { ...request, status: 'requested' })
      return { row: returnRows.get(request.return_number!), created: true }
    },
    setStatus: async (number: string, status: ReturnStatus) => void (returnRows.get(number)!.status = status),
  }
  const orders = { find: async (orderNumber: string) => ({ order_number: orderNumber, customer_name: 'Zhang Wei', data: orderData }) }
  const results = new Map<string, unknown>()
  const events = {
    once: async <R>(key: StepKey, work: (trx: Knex.Transaction) => Promise<StepResult<R>>) => {
      const id = `${key.step}/${key.job_key}`
      if (!results.has(id)) results.set(id, (await work(trx)).result)
      return results.get(id) as R
    },
  }
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
  return { shipmentRows, returnRows, calls, deps: { shipments, returns, orders, events, config, outside: { carrier } } as never }
}

const request = { returnNumber: 'RT-2026-000001', orderNumber: 'SO-2026-0001', items: [{ sku: 'PP-24C6', quantity: 1 }], reason: 'wrong size', reasonKind: 'wrong-item' }
const job = (method: Variables['returnReview']['returnMethod'], key = '901', extra: Partial<Variables['returnRequest']> = {}): JobContext<Variables> => ({
  key,
  type: 'return-pickup',
  processInstanceKey: '9101',
  bpmnProcessId: 'return-refund',
  elementId: 'ARRANGE_PICKUP',
  elementInstanceKey: '9102',
  retries: 3,
  customHeaders: {},
  variables: { returnRequest: { ...request, ...extra }, returnReview: { returnMethod: method } },
})

test('a courier pickup is booked from the customer to the returns desk, once per return', async () => {
  const { shipmentRows, returnRows, calls, deps } = fakes()
  const outcome = await createHandler(deps, { today: () => today })(job('courier-pickup'))
  assert.is(calls.length, 1)
  assert.is(calls[0].idempotencyKey, 'return-pickup:RT-2026-000001')
  assert.is(calls[0].shipFrom?.line1, 'Yuexiu District, Guangzhou')
  assert.is(calls[0].shipFrom?.name, 'Zhang Wei')
  assert.equal(calls[0].shipTo, returnsDesk, 'to RETURNS_ADDRESS')
  assert.is(outcome.kind, 'complete')
  if (outcome.kind !== 'complete') return
  const pickup = outcome.variables.pickup as Record<string, unknown>
  assert.is(pickup.returnMethod, 'courier-pickup')
  assert.is(pickup.carrier, 'sandbox-carrier')
  assert.is(pickup.pickupDate, today)
  assert.is(shipmentRows.get('return-pickup:RT-2026-000001')!.tracking_number, pickup.trackingNumber)
  assert.is(returnRows.get('RT-2026-000001')!.status, 'approved')
})

test('a drop-off or site visit is recorded without the carrier', async () => {
  for (const method of ['drop-off', 'site-visit'] as const) {
    const { returnRows, calls, deps } = fakes()
    const outcome = await createHandler(deps)(job(method))
    assert.equal(outcome, { kind: 'complete', variables: { pickup: { returnMethod: method, carrier: null, trackingNumber: null, pickupDate: null, expectedArrivalDate: null } } })
    assert.is(calls.length, 0)
    assert.is(returnRows.get('RT-2026-000001')!.status, 'approved')
  }
})

test('a pickup address on the request wins over the order address', async () => {
  const { calls, deps } = fakes()
  await createHandler(deps, { today: () => today })(job('courier-pickup', '902', { pickupAddress: { line1: '8 Office Rd', city: 'Shenzhen', postalCode: '518000' } }))
  assert.is(calls[0].shipFrom?.city, 'Shenzhen')
})

test('a refusal and a missing address are thrown (the diagram catches no error here)', async () => {
  const refused = fakes({ booked: false, code: 'address_not_served', reason: 'address not served' })
  const handler = createHandler(refused.deps, { today: () => today })
  for (const key of ['903', '904']) {
    try {
      await handler(job('courier-pickup', key))
      assert.unreachable('should throw')
    } catch (error) {
      assert.match((error as Error).message, /carrier refused the return pickup of RT-2026-000001: address not served/)
      assert.match((error as Error).message, /agree another return method/)
    }
  }
  assert.is(refused.calls.length, 1)
  const noAddress = fakes(undefined, {})
  try {
    await createHandler(noAddress.deps)(job('courier-pickup'))
    assert.unreachable('should throw')
  } catch (error) {
    assert.match((error as Error).message, /no pickup address for return RT-2026-000001/)
  }
})

test('a redelivered job gets the first pickup and books once', async () => {
  const { calls, deps } = fakes()
  const handler = createHandler(deps, { today: () => today })
  const first = await handler(job('courier-pickup', '905'))
  const again = await handler(job('courier-pickup', '905'))
  const retried = await handler(job('courier-pickup', '906'))
  assert.equal(again, first)
  assert.equal(retried, first)
  assert.is(calls.length, 1)
})

test('RETURNS_ADDRESS reads name|street|postal code|city|country[|phone], and a malformed one is named', () => {
  assert.equal(returnsAddressOf('Returns desk|Finished-goods store|510000|Guangzhou|CN'), {
    name: 'Returns desk', line1: 'Finished-goods store', postalCode: '510000', city: 'Guangzhou', country: 'CN',
  })
  assert.throws(() => returnsAddressOf('Returns desk, Guangzhou'), /RETURNS_ADDRESS must read name\|street\|postal code\|city\|country code/)
})

test.run()
