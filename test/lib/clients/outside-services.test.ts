import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { checkOutsideServices, createOutsideServices } from '../../../lib/clients/outside-services.ts'
import { ConfigError, loadConfig } from '../../../lib/config.ts'

const noFile = '/nonexistent/.env'
const liveEnv = {
  OUTSIDE_SERVICES_MODE: 'live',
  CARRIER_API_URL: 'https://carrier.test/api',
  PAYMENT_API_URL: 'https://payments.test/v1',
  NOTIFY_WEBHOOK_URL: 'https://notify.test/hooks/order-flow',
  NOTIFY_WEBHOOK_SECRET: 'whsec_test_1',
}

function problems(call: () => unknown): string[] {
  try {
    call()
  } catch (error) {
    assert.instance(error, ConfigError)
    return (error as ConfigError).problems
  }
  assert.unreachable('the configuration was accepted')
  return []
}

test('sandbox is the default, and needs no outside configuration', async () => {
  const config = loadConfig({}, noFile)
  assert.is(config.OUTSIDE_SERVICES_MODE, 'sandbox')
  assert.is(config.OUTSIDE_CALL_TIMEOUT_MS, 10000)
  const services = createOutsideServices(config)
  assert.is(services.mode, 'sandbox')
  const booking = await services.carrier.book({
    idempotencyKey: 'k',
    orderNumber: 'SO-1',
    shipTo: { name: 'Li Wei', line1: '1 Century Ave', postalCode: '200120', city: 'Shanghai', country: 'CN' },
    parcels: [{ weightKg: 1 }],
    requestedDate: '2026-11-25',
  })
  assert.ok(booking.booked)
})

test('live mode without its URLs and secret stops start-up naming each variable', () => {
  const config = loadConfig({ OUTSIDE_SERVICES_MODE: 'live', CARRIER_API_URL: 'https://carrier.test/api' }, noFile)
  const found = problems(() => checkOutsideServices(config))
  assert.equal(
    found.map((problem) => problem.split(':')[0]),
    ['PAYMENT_API_URL', 'NOTIFY_WEBHOOK_URL', 'NOTIFY_WEBHOOK_SECRET'],
  )
  assert.match(found[0], 'PAYMENT_API_URL: required when OUTSIDE_SERVICES_MODE=live')
  assert.equal(problems(() => createOutsideServices(config)), found)
})

test('live mode with everything set gives the live clients', () => {
  const services = createOutsideServices(loadConfig(liveEnv, noFile))
  assert.is(services.mode, 'live')
})

test('a bad mode, URL or timeout is named by loadConfig', () => {
  const found = problems(() =>
    loadConfig({ OUTSIDE_SERVICES_MODE: 'production', CARRIER_API_URL: 'carrier.test', OUTSIDE_CALL_TIMEOUT_MS: 'soon' }, noFile),
  )
  assert.ok(found.includes('OUTSIDE_SERVICES_MODE: expected one of sandbox, live, got "production"'))
  assert.ok(found.some((problem) => problem.startsWith('CARRIER_API_URL: expected an absolute URL')))
  assert.ok(found.some((problem) => problem.startsWith('OUTSIDE_CALL_TIMEOUT_MS: expected an integer from 50 to 300000')))
})

test.run()
