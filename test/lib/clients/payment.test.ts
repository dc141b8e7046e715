import nock from 'nock'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { OutsideServiceError } from '../../../lib/clients/http.ts'
import { createPaymentClient, createSandboxPayment, sandboxRefundLimit, type RefundRequest } from '../../../lib/clients/payment.ts'
import { loadConfig } from '../../../lib/config.ts'
import { liveSuite, technicalError } from './support.ts'


const base = 'https://payments.test'
const config = loadConfig(
  { OUTSIDE_SERVICES_MODE: 'live', PAYMENT_API_URL: `${base}/v1/`, PAYMENT_API_KEY: 'pk_secret_1', OUTSIDE_CALL_TIMEOUT_MS: '100' },
  '/nonexistent/.env',
)
const refund: RefundRequest = {
  idempotencyKey: 'return:RT-2026-0042',
  orderNumber: 'SO-2026-0001',
  amount: 129.5,
  currency: 'CNY',
  reason: 'quality problem',
}


const live = liveSuite('payment (live)')

live('a refund returns the provider reference', async () => {
  const scope = nock(base)
    .post('/v1/refunds', { orderNumber: 'SO-2026-0001', amount: 129.5, currency: 'CNY', reason: 'quality problem' })
    .reply(201, { providerReference: 're_3PqX' })
  assert.equal(await createPaymentClient(config).refund(refund), { refunded: true, providerReference: 're_3PqX' })
  assert.ok(scope.isDone())
})

live('the Idempotency-Key header is the key given, the API key a bearer token', async () => {
  const scope = nock(base)
    .post('/v1/refunds')
    .matchHeader('idempotency-key', 'return:RT-2026-0042')
    .matchHeader('authorization', 'Bearer pk_secret_1')
    .reply(200, { providerReference: 're_3PqX' })
  await createPaymentClient(config).refund(refund)
  assert.ok(scope.isDone())
})

live('a provider that does not answer in time is a technical error naming the service', async () => {
  nock(base).post('/v1/refunds').delay(1000).reply(200, { providerReference: 're_3PqX' })
  const error = await technicalError(() => createPaymentClient(config).refund(refund))
  assert.match(error.message, 'payment API did not answer POST /v1/refunds within 100 ms')
})

live('a 5xx answer is a technical error', async () => {
  nock(base).post('/v1/refunds').reply(500)
  const error = await technicalError(() => createPaymentClient(config).refund(refund))
  assert.is(error.status, 500)
  assert.match(error.message, 'payment API answered 500 Internal Server Error for POST /v1/refunds: the service failed')
})

live('401 names the key variable and never shows the key', async () => {
  nock(base).post('/v1/refunds').reply(401)
  const error = await technicalError(() => createPaymentClient(config).refund(refund))
  assert.is(error.message, 'payment API answered 401 Unauthorized for POST /v1/refunds: check PAYMENT_API_KEY')
  assert.not.match(error.message, 'pk_secret_1')
})

live('a decline with a reason is returned, not thrown', async () => {
  for (const status of [409, 422]) {
    nock(base).post('/v1/refunds').reply(status, { code: 'charge_disputed', message: 'the charge is under dispute' })
    assert.equal(await createPaymentClient(config).refund(refund), {
      refunded: false,
      code: 'charge_disputed',
      reason: 'the charge is under dispute',
    })
  }
})

live('a duplicate reply gives the original refund', async () => {
  nock(base).post('/v1/refunds').reply(200, { providerReference: 're_3PqX', duplicate: true })
  assert.equal(await createPaymentClient(config).refund(refund), { refunded: true, providerReference: 're_3PqX' })
  nock(base).post('/v1/refunds').reply(409, { code: 'ALREADY_PROCESSED', original: { providerReference: 're_3PqX' } })
  assert.equal(await createPaymentClient(config).refund(refund), { refunded: true, providerReference: 're_3PqX' })
})

live('an amount that is not above 0 is refused before any call', async () => {
  const error = await createPaymentClient(config).refund({ ...refund, amount: 0 }).catch((thrown: Error) => thrown)
  assert.match((error as Error).message, 'refund amount must be a number above 0, got 0')
})

const sandbox = suite('payment (sandbox)')

sandbox('the same idempotency key gives the same reference', async () => {
  const first = await createSandboxPayment().refund(refund)
  assert.equal(first, await createSandboxPayment().refund(refund))
  assert.ok(first.refunded && /^sbx_rf_[0-9a-f]{16}$/.test(first.providerReference))
  const other = await createSandboxPayment().refund({ ...refund, idempotencyKey: 'return:RT-2026-0043' })
  assert.ok(other.refunded && first.refunded && other.providerReference !== first.providerReference)
})

sandbox('an amount above the limit or a reason containing "decline" is declined', async () => {
  const payment = createSandboxPayment()
  assert.ok((await payment.refund({ ...refund, amount: sandboxRefundLimit })).refunded)
  const large = await payment.refund({ ...refund, amount: sandboxRefundLimit + 0.01 })
  assert.equal(large, { refunded: false, code: 'limit_exceeded', reason: '50000.01 CNY is above the sandbox limit of 50000' })
  const asked = await payment.refund({ ...refund, reason: 'demo: Decline this refund' })
  assert.is(asked.refunded, false)
})

live.run()
sandbox.run()
