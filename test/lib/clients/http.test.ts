import nock from 'nock'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { callJson, OutsideServiceError, type ServiceEndpoint } from '../../../lib/clients/http.ts'
import { liveSuite, technicalError } from './support.ts'


const endpoint: ServiceEndpoint = {
  service: 'carrier API',
  baseUrl: 'https://carrier.test/api/v2',
  urlVariable: 'CARRIER_API_URL',
  keyVariable: 'CARRIER_API_KEY',
  timeoutMs: 1000,
}
const post = { method: 'POST', path: '/bookings', idempotencyKey: 'k-1', body: { orderNumber: 'SO-1' } } as const


const http = liveSuite('outside-service HTTP')

http('paths resolve below the base URL, keeping its prefix; no key, no Authorization header', async () => {
  const scope = nock('https://carrier.test', { badheaders: ['authorization'] })
    .post('/api/v2/bookings')
    .matchHeader('content-type', 'application/json')
    .reply(200, { trackingNumber: 'T1' })
  const answer = await callJson(endpoint, post)
  assert.equal(answer, { kind: 'ok', status: 200, body: { trackingNumber: 'T1' }, duplicate: false, where: 'POST /api/v2/bookings' })
  assert.ok(scope.isDone())
})

http('an empty 2xx body is an empty result', async () => {
  nock('https://carrier.test').post('/api/v2/bookings').reply(204)
  const answer = await callJson(endpoint, post)
  assert.equal(answer.kind === 'ok' && answer.body, {})
})

http('a 409/422 without a code is a technical error, not a refusal', async () => {
  nock('https://carrier.test').post('/api/v2/bookings').reply(422, { message: 'shipTo.country is required' })
  const error = await technicalError(() => callJson(endpoint, post))
  assert.is(
    error.message,
    'carrier API answered 422 Unprocessable Entity (shipTo.country is required) for POST /api/v2/bookings: the service rejected the request order-flow sent: compare lib/clients/README.md with the service',
  )
})

http('400 is a technical error with what the service said', async () => {
  nock('https://carrier.test').post('/api/v2/bookings').reply(400, { code: 'invalid_request', message: 'parcels must not be empty' })
  const error = await technicalError(() => callJson(endpoint, post))
  assert.match(error.message, 'answered 400 Bad Request (invalid_request: parcels must not be empty) for POST /api/v2/bookings')
})

http('404 names the URL variable', async () => {
  nock('https://carrier.test').post('/api/v2/bookings').reply(404, '<html>Not Found</html>')
  const error = await technicalError(() => callJson(endpoint, post))
  assert.match(error.message, /404 Not Found .*: check CARRIER_API_URL \(no such endpoint there\)$/)
})

http('a 2xx body that is not a JSON object is a technical error', async () => {
  nock('https://carrier.test').post('/api/v2/bookings').reply(200, 'OK')
  const error = await technicalError(() => callJson(endpoint, post))
  assert.match(error.message, 'carrier API answered 200 OK with a body that is not a JSON object for POST /api/v2/bookings')
})

http('an unreachable service is a technical error naming the URL variable', async () => {
  const error = await technicalError(() => callJson({ ...endpoint, baseUrl: 'https://nowhere.test' }, post))
  assert.match(error.message, /^carrier API could not be reached for POST \/bookings \(.+\): check CARRIER_API_URL and the network$/)
})

http.run()
