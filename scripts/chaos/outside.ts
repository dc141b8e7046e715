/**
 * The outside services of a chaos run, on loopback: carrier (`/carrier/bookings`), payment
 * provider (`/payment/refunds`) and notification webhook (`/notify`), speaking the contract of
 * lib/clients/README.md. Like a real provider, each honours the Idempotency-Key: a repeated key
 * gets the first answer (marked `duplicate`) and has no second effect. Every call is recorded,
 * so the run can count calls and effects per key. A share of calls answers 503 first
 * (`failEvery`), as a provider under load does, so the workers' retries are exercised too.
 */
import { createHash } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { verifySignature } from '../../lib/clients/notifier.ts'

export type Service = 'carrier' | 'payment' | 'notify'

export interface Call {
  service: Service
  key: string
  at: number
  /** 'effect' (first call of a key), 'duplicate' (the key again), 'unavailable' (503 injected), 'rejected' (bad request). */
  answer: 'effect' | 'duplicate' | 'unavailable' | 'rejected'
  body: Record<string, unknown>
}

const routes: Record<string, Service> = { '/carrier/bookings': 'carrier', '/payment/refunds': 'payment', '/notify': 'notify' }

function effectOf(service: Service, key: string, body: Record<string, unknown>): Record<string, unknown> {
  const hash = createHash('sha256').update(key).digest('hex')
  if (service === 'carrier') {
    return { carrier: 'chaos-carrier', trackingNumber: `CH${hash.slice(0, 12).toUpperCase()}`, expectedDeliveryDate: String(body.requestedDate ?? '2027-01-01') }
  }
  if (service === 'payment') return { providerReference: `ch_rf_${hash.slice(0, 16)}` }
  return { accepted: true }
}

export async function startOutsideServices(options: { secret: string; failEvery?: number }) {
  const calls: Call[] = []
  const answers = new Map<string, Record<string, unknown>>()
  let seen = 0
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const raw = Buffer.concat(chunks)
      const service = routes[request.url ?? '']
      const key = String(request.headers['idempotency-key'] ?? '')
      const send = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' })
        response.end(JSON.stringify(body))
      }
      let body: Record<string, unknown> = {}
      try {
        body = JSON.parse(raw.toString('utf8') || '{}')
      } catch {
        body = {}
      }
      const record = (answer: Call['answer']) => calls.push({ service: service ?? 'notify', key, at: Date.now(), answer, body })
      if (!service || request.method !== 'POST') return send(404, { code: 'not_found', reason: request.url })
      if (service === 'notify') {
        const signed = verifySignature(options.secret, raw.toString('utf8'), String(request.headers['x-order-flow-signature'] ?? ''))
        if (!signed) return (record('rejected'), send(401, { code: 'bad_signature', reason: 'signature' }))
      }
      const notifyKey = service === 'notify' ? String(body.idempotencyKey ?? key) : key
      if (!notifyKey) return (record('rejected'), send(400, { code: 'missing_key', reason: 'Idempotency-Key required' }))
      const id = `${service}:${notifyKey}`
      const first = answers.get(id)
      if (first) {
        calls.push({ service, key: notifyKey, at: Date.now(), answer: 'duplicate', body })
        return send(200, { ...first, duplicate: true })
      }
      seen++
      if (options.failEvery && seen % options.failEvery === 0) {
        calls.push({ service, key: notifyKey, at: Date.now(), answer: 'unavailable', body })
        return send(503, { code: 'unavailable', reason: 'injected: provider busy' })
      }
      const answer = effectOf(service, notifyKey, body)
      answers.set(id, answer)
      calls.push({ service, key: notifyKey, at: Date.now(), answer: 'effect', body })
      send(service === 'notify' ? 202 : 201, answer)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    calls,
    env: {
      OUTSIDE_SERVICES_MODE: 'live',
      CARRIER_API_URL: `${base}/carrier`,
      PAYMENT_API_URL: `${base}/payment`,
      NOTIFY_WEBHOOK_URL: `${base}/notify`,
      NOTIFY_WEBHOOK_SECRET: options.secret,
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
