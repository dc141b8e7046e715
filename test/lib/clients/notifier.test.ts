import nock from 'nock'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { OutsideServiceError } from '../../../lib/clients/http.ts'
import {
  createNotifierClient,
  createSandboxNotifier,
  signatureHeader,
  signBody,
  verifySignature,
  type Notification,
} from '../../../lib/clients/notifier.ts'
import { loadConfig } from '../../../lib/config.ts'
import { liveSuite, technicalError } from './support.ts'


const base = 'https://notify.test'
const secret = 'whsec_test_1'
const config = loadConfig(
  { OUTSIDE_SERVICES_MODE: 'live', NOTIFY_WEBHOOK_URL: `${base}/hooks/order-flow`, NOTIFY_WEBHOOK_SECRET: secret, OUTSIDE_CALL_TIMEOUT_MS: '100' },
  '/nonexistent/.env',
)
const message: Notification = {
  idempotencyKey: '2251799813685249:NOTIFY_CUSTOMER',
  recipient: { customerId: 'C-001', name: 'Li Wei', email: 'li.wei@example.com' },
  template: 'shipment-booked',
  payload: { orderNumber: 'SO-2026-0001', carrier: 'SF Express', trackingNumber: 'SF1234567890' },
}


const live = liveSuite('notifier (live)')

live('the webhook gets the message, signed: the signature verifies with the secret', async () => {
  let received: { body: string; signature: string | undefined } | undefined
  // The 'request' event carries the raw body text: the signature covers exactly those bytes.
  nock(base)
    .post('/hooks/order-flow')
    .reply(204)
    .on('request', (req: { headers: Record<string, string | undefined> }, _interceptor: unknown, body: string) => {
      received = { body, signature: req.headers[signatureHeader.toLowerCase()] }
    })
  assert.equal(await createNotifierClient(config).notify(message), { delivered: true, duplicate: false })
  assert.ok(received)
  assert.equal(JSON.parse(received!.body), message)
  assert.match(received!.signature ?? '', /^sha256=[0-9a-f]{64}$/)
  assert.ok(verifySignature(secret, received!.body, received!.signature))
  assert.not.ok(verifySignature('another secret', received!.body, received!.signature))
  assert.not.ok(verifySignature(secret, received!.body.replace('SF Express', 'SF Expres5'), received!.signature))
})

live('the Idempotency-Key header is the key given', async () => {
  const scope = nock(base)
    .post('/hooks/order-flow')
    .matchHeader('idempotency-key', message.idempotencyKey)
    .matchHeader(signatureHeader, (value) => value.startsWith('sha256='))
    .reply(200, {})
  await createNotifierClient(config).notify(message)
  assert.ok(scope.isDone())
})

live('a receiver that does not answer in time is a technical error naming the service', async () => {
  nock(base).post('/hooks/order-flow').delay(1000).reply(204)
  const error = await technicalError(() => createNotifierClient(config).notify(message))
  assert.match(error.message, 'notification webhook did not answer POST /hooks/order-flow within 100 ms')
})

live('a 5xx answer is a technical error', async () => {
  nock(base).post('/hooks/order-flow').reply(502, 'bad gateway')
  const error = await technicalError(() => createNotifierClient(config).notify(message))
  assert.match(error.message, 'notification webhook answered 502 Bad Gateway (bad gateway) for POST /hooks/order-flow')
})

live('401 (signature not accepted) names the secret variable and never shows the secret', async () => {
  nock(base).post('/hooks/order-flow').reply(401, { error: 'bad signature' })
  const error = await technicalError(() => createNotifierClient(config).notify(message))
  assert.match(error.message, /check NOTIFY_WEBHOOK_SECRET$/)
  assert.not.match(error.message, secret)
})

live('a refusal with a reason is returned, not thrown', async () => {
  nock(base).post('/hooks/order-flow').reply(422, { code: 'recipient_unreachable', reason: 'no e-mail or phone on file' })
  assert.equal(await createNotifierClient(config).notify(message), {
    delivered: false,
    code: 'recipient_unreachable',
    reason: 'no e-mail or phone on file',
  })
})

live('a duplicate reply counts as delivered', async () => {
  nock(base).post('/hooks/order-flow').reply(200, { duplicate: true })
  assert.equal(await createNotifierClient(config).notify(message), { delivered: true, duplicate: true })
  nock(base).post('/hooks/order-flow').reply(409, { code: 'already_processed' })
  assert.equal(await createNotifierClient(config).notify(message), { delivered: true, duplicate: true })
})

live('the signature is the hex HMAC-SHA256 of the body', () => {
  // RFC 4231 test case 2
  assert.is(
    signBody('Jefe', 'what do ya want for nothing?'),
    'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  )
})

const sandbox = suite('notifier (sandbox)')

sandbox('records each message once per idempotency key', async () => {
  const notifier = createSandboxNotifier()
  assert.equal(await notifier.notify(message), { delivered: true, duplicate: false })
  assert.equal(await notifier.notify(message), { delivered: true, duplicate: true })
  await notifier.notify({ ...message, idempotencyKey: 'return:RT-2026-0042:notify', template: 'refund-completed' })
  assert.equal(
    notifier.sent.map((sent) => sent.template),
    ['shipment-booked', 'refund-completed'],
  )
  assert.equal(notifier.sent[0], message)
})

live.run()
sandbox.run()
