/**
 * Idempotency-Key on every POST: the first request with a key runs, and its answer is stored in
 * `idempotency_keys` in the same transaction as the rows it wrote; a replay gets that answer
 * (header `Idempotent-Replayed: true`) and starts nothing. A concurrent duplicate waits on the
 * key's row and then replays. The same key with another request is refused with 422.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Knex } from 'knex'
import { sha256 } from './auth.ts'
import { ApiProblem } from './problems.ts'

/** The header schema every POST declares. */
export const idempotencyHeaders = {
  type: 'object',
  required: ['idempotency-key'],
  properties: {
    'idempotency-key': {
      type: 'string',
      minLength: 8,
      maxLength: 128,
      pattern: '^[A-Za-z0-9._:-]+$',
      description: 'A key you choose per logical request (e.g. a UUID); repeat it to retry safely.',
    },
  },
} as const

/** JSON with object keys sorted, so the same body always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** What a handler answers: status and body. */
export interface Answer<B> {
  status: number
  body: B
}

/**
 * Runs `work` once per (caller, Idempotency-Key) inside one transaction and sends its answer;
 * `work` writes through `trx` only. A problem thrown by `work` rolls everything back, the key
 * included, so the client may retry with the same key; `onRollback` registers how to undo an
 * engine call (cancel the instance it started) should the transaction not commit after it.
 */
export async function once<B>(
  db: Knex,
  request: FastifyRequest,
  reply: FastifyReply,
  work: (trx: Knex.Transaction, key: string, onRollback: (undo: () => Promise<unknown>) => void) => Promise<Answer<B>>,
): Promise<B> {
  // What `work` did outside the database (an instance started) is undone when the transaction does not commit.
  const undo: (() => Promise<unknown>)[] = []
  const key = request.headers['idempotency-key'] as string
  const client = request.caller?.id ?? 'anonymous'
  const path = request.url.split('?')[0]
  const requestHash = sha256(canonical([request.method, path, request.body ?? null]))
  const answer = await db.transaction(async (trx) => {
    const [claimed] = await trx('idempotency_keys')
      .insert({ client, idempotency_key: key, method: request.method, path, request_hash: requestHash, status_code: 0, response: '{}' })
      .onConflict(['client', 'idempotency_key'])
      .ignore()
      .returning('client')
    if (!claimed) {
      const first = await trx('idempotency_keys').where({ client, idempotency_key: key }).first()
      if (first.request_hash !== requestHash) {
        throw new ApiProblem(422, 'idempotency-key-reused', 'Idempotency-Key already used',
          `The Idempotency-Key ${key} was used for a different request (${first.method} ${first.path} with another body); use a new key.`)
      }
      reply.header('idempotent-replayed', 'true')
      return { status: first.status_code as number, body: first.response as B }
    }
    const result = await work(trx, key, (step) => undo.push(step))
    await trx('idempotency_keys').where({ client, idempotency_key: key }).update({ status_code: result.status, response: JSON.stringify(result.body) })
    return result
  }).catch(async (error: unknown) => {
    for (const step of undo) await step().catch((failure: Error) => request.log.error({ err: failure }, 'undo after a rolled-back request failed'))
    throw error
  })
  reply.code(answer.status)
  return answer.body
}
