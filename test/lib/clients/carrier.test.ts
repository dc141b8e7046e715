import nock from 'nock'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createCarrierClient, createSandboxCarrier, defaultCarrierLimits, type BookingRequest } from '../../../lib/clients/carrier.ts'
import { OutsideServiceError } from '../../../lib/clients/http.ts'
import { loadConfig } from '../../../lib/config.ts'
import { liveSuite, technicalError } from './support.ts'


const base = 'https://carrier.test'
const config = loadConfig(
  { OUTSIDE_SERVICES_MODE: 'live', CARRIER_API_URL: `${base}/api`, CARRIER_API_KEY: 'ck_secret_1', OUTSIDE_CALL_TIMEOUT_MS: '100' },
  '/nonexistent/.env',
)
const booking: BookingRequest = {
  idempotencyKey: '2251799813685249:BOOK_CARRIER',
  orderNumber: 'SO-2026-0001',
  shipTo: { name: 'Li Wei', line1: '1 Century Ave', postalCode: '200120', city: 'Shanghai', country: 'CN' },
  parcels: [{ weightKg: 2.5 }],
  requestedDate: '2026-11-25',
}
const booked = { carrier: 'SF Express', trackingNumber: 'SF1234567890', expectedDeliveryDate: '2026-11-27' }


const live = liveSuite('carrier (live)')

live('a booking returns the carrier, tracking number and delivery date', async () => {
  const scope = nock(base)
    .post('/api/bookings', {
      orderNumber: 'SO-2026-0001',
      shipTo: { name: 'Li Wei', line1: '1 Century Ave', postalCode: '200120', city: 'Shanghai', country: 'CN' },
      parcels: [{ weightKg: 2.5 }],
      requestedDate: '2026-11-25',
      service: 'parcel',
    })
    .reply(201, booked)
  assert.equal(await createCarrierClient(config).book(booking), { booked: true, ...booked })
  assert.ok(scope.isDone())
})

live('a package above CARRIER_PARCEL_MAX_KG is booked as freight; one above CARRIER_FREIGHT_MAX_KG is refused without a call', async () => {
  const limited = { ...config, CARRIER_PARCEL_MAX_KG: 20, CARRIER_FREIGHT_MAX_KG: 500 }
  const scope = nock(base).post('/api/bookings', (body) => body.service === 'freight').reply(201, booked)
  assert.equal(await createCarrierClient(limited).book({ ...booking, parcels: [{ weightKg: 2 }, { weightKg: 420 }] }), { booked: true, ...booked })
  assert.ok(scope.isDone())
  const refused = await createCarrierClient(limited).book({ ...booking, parcels: [{ weightKg: 501 }] })
  assert.equal(refused, { booked: false, code: 'too_heavy', reason: 'a package weighs 501 kg; the carrier takes at most 500 kg, even as freight' })
})

live('the Idempotency-Key header is the key given, the API key a bearer token', async () => {
  const scope = nock(base)
    .post('/api/bookings')
    .matchHeader('idempotency-key', booking.idempotencyKey)
    .matchHeader('authorization', 'Bearer ck_secret_1')
    .reply(200, booked)
  await createCarrierClient(config).book(booking)
  assert.ok(scope.isDone())
})

live('a carrier that does not answer in time is a technical error naming the service', async () => {
  nock(base).post('/api/bookings').delay(1000).reply(200, booked)
  const error = await technicalError(() => createCarrierClient(config).book(booking))
  assert.match(error.message, 'carrier API did not answer POST /api/bookings within 100 ms')
  assert.match(error.message, 'CARRIER_API_URL')
})

live('a 5xx answer is a technical error', async () => {
  nock(base).post('/api/bookings').reply(503, { message: 'maintenance' })
  const error = await technicalError(() => createCarrierClient(config).book(booking))
  assert.is(error.status, 503)
  assert.match(error.message, 'carrier API answered 503 Service Unavailable (maintenance) for POST /api/bookings')
})

live('401 names the key variable and never shows the key', async () => {
  nock(base).post('/api/bookings').reply(401, { error: 'invalid token' })
  const error = await technicalError(() => createCarrierClient(config).book(booking))
  assert.match(error.message, /^carrier API answered 401 Unauthorized .*for POST \/api\/bookings: check CARRIER_API_KEY$/)
  assert.not.match(error.message, 'ck_secret_1')
})

live('a refusal with a reason is returned, not thrown', async () => {
  for (const status of [409, 422]) {
    nock(base).post('/api/bookings').reply(status, { code: 'no_capacity', reason: 'no pick-up slot on 2026-11-25' })
    assert.equal(await createCarrierClient(config).book(booking), {
      booked: false,
      code: 'no_capacity',
      reason: 'no pick-up slot on 2026-11-25',
    })
  }
})

live('a duplicate reply gives the original booking', async () => {
  nock(base).post('/api/bookings').reply(200, { ...booked, duplicate: true })
  assert.equal(await createCarrierClient(config).book(booking), { booked: true, ...booked })
  nock(base).post('/api/bookings').reply(409, { code: 'already_processed', original: booked })
  assert.equal(await createCarrierClient(config).book(booking), { booked: true, ...booked })
})

live('an answer without a tracking number is a technical error naming the field', async () => {
  nock(base).post('/api/bookings').reply(200, { carrier: 'SF Express', expectedDeliveryDate: '2026-11-27' })
  const error = await technicalError(() => createCarrierClient(config).book(booking))
  assert.match(error.message, 'carrier API answered POST /api/bookings without "trackingNumber"')
})

live('tracking reads the status of a shipment', async () => {
  nock(base).get('/api/shipments/SF1234567890').reply(200, { trackingNumber: 'SF1234567890', status: 'delivered', deliveredAt: '2026-11-27T10:02:00Z' })
  assert.equal(await createCarrierClient(config).track('SF1234567890'), {
    trackingNumber: 'SF1234567890',
    status: 'delivered',
    deliveredAt: '2026-11-27T10:02:00Z',
  })
})

const sandbox = suite('carrier (sandbox)')

sandbox('the same idempotency key gives the same booking, another key another tracking number', async () => {
  const carrier = createSandboxCarrier()
  const first = await carrier.book(booking)
  assert.equal(first, await createSandboxCarrier().book(booking))
  assert.ok(first.booked)
  if (!first.booked) return
  assert.match(first.trackingNumber, /^SBX[0-9A-F]{12}$/)
  assert.is(first.expectedDeliveryDate, '2026-11-27')
  const other = await carrier.book({ ...booking, idempotencyKey: '2251799813685250:BOOK_CARRIER' })
  assert.ok(other.booked && other.trackingNumber !== first.trackingNumber)
})

sandbox('a cabinet of hundreds of kilograms goes as freight (four days); above the freight limit or to "refuse" it is refused', async () => {
  const carrier = createSandboxCarrier()
  const cabinet = await carrier.book({ ...booking, parcels: [{ weightKg: 1 }, { weightKg: 380 }] })
  assert.ok(cabinet.booked, JSON.stringify(cabinet))
  if (cabinet.booked) assert.is(cabinet.expectedDeliveryDate, '2026-11-29')
  const limit = defaultCarrierLimits.freightMaxKg
  const heavy = await carrier.book({ ...booking, parcels: [{ weightKg: limit + 1 }] })
  assert.equal(heavy, { booked: false, code: 'too_heavy', reason: `a package weighs ${limit + 1} kg; the carrier takes at most ${limit} kg, even as freight` })
  const strict = await createSandboxCarrier({ parcelMaxKg: 31.5, freightMaxKg: 100 }).book({ ...booking, parcels: [{ weightKg: 380 }] })
  assert.is(strict.booked, false, 'the limits are the configured ones')
  const named = await carrier.book({ ...booking, shipTo: { ...booking.shipTo, name: 'Please Refuse' } })
  assert.is(named.booked, false)
})

live.run()
sandbox.run()
