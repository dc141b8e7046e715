/**
 * API keys with roles, from `API_KEYS` (role:sha256-hex, so no key is stored in clear). A
 * request names its key in `X-API-Key` (or `Authorization: Bearer <key>`); each route lists
 * the roles it admits in `config.roles`, `admin` is admitted everywhere. No key → 401, a key
 * without the role → 403.
 */
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ApiProblem } from './problems.ts'

export const roles = ['integrator', 'auditor', 'admin'] as const
export type Role = (typeof roles)[number]

/** Who called: the key's role and a short, stable id for logs and idempotency scopes. */
export interface Caller {
  role: Role
  /** role and the first 12 hex digits of the key's hash, e.g. integrator:bb161c2a4293. */
  id: string
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller
  }
  interface FastifyContextConfig {
    /** Roles admitted to the route (admin always is); absent = no key needed. */
    roles?: readonly Role[]
  }
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** Parses `API_KEYS` into hash → role. */
export function parseApiKeys(setting: string): Map<string, Role> {
  const keys = new Map<string, Role>()
  for (const entry of setting.split(',')) {
    const [role, hash] = entry.split(':') as [Role, string]
    keys.set(hash.toLowerCase(), role)
  }
  return keys
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key']
  if (typeof header === 'string' && header) return header
  const authorization = request.headers.authorization
  if (authorization?.startsWith('Bearer ')) return authorization.slice(7).trim() || undefined
  return undefined
}

/** Adds the key check to every route that declares `config.roles`. */
export function registerAuth(app: FastifyInstance, keys: Map<string, Role>): void {
  app.decorateRequest('caller', undefined)
  app.addHook('onRequest', async (request, reply) => {
    const admitted = request.routeOptions.config?.roles
    if (!admitted) return
    const key = presentedKey(request)
    if (!key) {
      reply.header('www-authenticate', 'ApiKey header="X-API-Key"')
      throw new ApiProblem(401, 'unauthenticated', 'API key required', 'Send your API key in the X-API-Key header.')
    }
    const hash = sha256(key)
    const role = keys.get(hash)
    if (!role) {
      reply.header('www-authenticate', 'ApiKey header="X-API-Key"')
      throw new ApiProblem(401, 'unauthenticated', 'Unknown API key', 'The API key is not one this API accepts.')
    }
    if (role !== 'admin' && !admitted.includes(role)) {
      throw new ApiProblem(403, 'forbidden', 'Role not allowed', `This needs the role ${admitted.join(' or ')}; the key has the role ${role}.`)
    }
    request.caller = { role, id: `${role}:${hash.slice(0, 12)}` }
  })
}
