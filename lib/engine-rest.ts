/**
 * A thin typed client of Operaton's REST API (`/engine-rest`), authenticated with HTTP basic as
 * one engine user. Only the calls this project makes are typed (lib/engine-api.ts declares their
 * shapes from Operaton's OpenAPI document); a refused call throws `EngineRestError` with the
 * engine's own error type and message.
 *
 * Variables travel in the engine's typed form ({value, type}); `toEngineVariables` and
 * `fromEngineVariables` convert plain JSON values: objects and arrays become Spin `Json`
 * variables, so a form or an expression can read `order.customer.name`.
 */
import { engineNodeUrls, type Config } from './config.ts'

/** Error from the engine REST API: the status, the path and the engine's own error. */
export class EngineRestError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    /** The engine's exception class name (`type` of its error body), e.g. `RestException`. */
    readonly type: string | undefined,
    /** The engine's message (`message` of its error body), or the raw body. */
    readonly engineMessage: string,
  ) {
    super(`engine ${method} ${path} answered ${status}${type ? ` ${type}` : ''}: ${engineMessage.slice(0, 1000)}`)
    this.name = 'EngineRestError'
  }
}

/** The engine could not be reached at all (connection refused, reset, timed out). */
export class EngineUnreachableError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`the engine at ${url} cannot be reached: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.name = 'EngineUnreachableError'
  }
}

export interface EngineCredentials {
  user: string
  password: string
}

/** The credentials of each component; one user each, so a wrong password locks out only its own component. */
export function engineCredentials(config: Config, who: 'admin' | 'worker' | 'api'): EngineCredentials {
  switch (who) {
    case 'admin':
      return { user: config.ENGINE_ADMIN_USER, password: config.ENGINE_ADMIN_PASSWORD }
    case 'worker':
      return { user: config.ENGINE_WORKER_USER, password: config.ENGINE_WORKER_PASSWORD }
    case 'api':
      return { user: config.ENGINE_API_USER, password: config.ENGINE_API_PASSWORD }
  }
}

export interface CallOptions {
  /** Abort after this many ms (default 30 s); long polls pass their own. */
  timeoutMs?: number
  signal?: AbortSignal
}

/** The REST root of engine node 1 (ENGINE_URL), or of node `node`. */
export const engineRestUrl = (config: Config, node = 1) => `${engineNodeUrls(config)[node - 1]}/engine-rest`

/**
 * Whether a failed fetch never reached the engine: the connection was refused (no node listens
 * there). Only then is the same request safe to send to another node; a connection that broke
 * after the request went out may have been acted on.
 */
export function connectionRefused(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string; errors?: { code?: string }[] } } | undefined)?.cause
  return cause?.code === 'ECONNREFUSED' || (cause?.errors ?? []).some((e) => e.code === 'ECONNREFUSED')
}

export interface EngineRestOptions {
  /**
   * Talk to this node only (1-based), without moving to another: a worker's long poll is heard
   * only by the node it waits on.
   */
  node?: number
  /** Start at this node and stay with it while it answers (the outcomes of a task go to the node that handed it out). */
  prefer?: number
}

/**
 * A JSON client for `/engine-rest` as `credentials` (the admin by default). Paths start with `/`
 * and are relative to the REST root, e.g. `/process-definition/key/shipment/start`. With several
 * engine nodes (ENGINE_NODES) the calls take the nodes in turn, and a call whose node refuses the
 * connection goes to the next one (see `EngineRestOptions` for pinning or preferring a node).
 */
export function createEngineRest(config: Config, credentials: EngineCredentials = engineCredentials(config, 'admin'), options: EngineRestOptions = {}) {
  const roots = options.node ? [engineRestUrl(config, options.node)] : engineNodeUrls(config).map((url) => `${url}/engine-rest`)
  let current = options.node ? 0 : Math.max(0, Math.min(roots.length - 1, (options.prefer ?? 1) - 1))
  // Neither pinned nor preferring a node: the calls take the nodes in turn, spreading the load.
  const rotate = !options.node && !options.prefer && roots.length > 1
  const authorization = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`

  /** Sends the request to the current node, moving to the next while connections are refused (each node once). */
  async function send(method: string, path: string, body: unknown, signal: AbortSignal): Promise<Response> {
    let node = current
    if (rotate) current = (node + 1) % roots.length
    for (let tried = 0; ; tried++) {
      try {
        return await fetch(`${roots[node]}${path}`, {
          method,
          headers: {
            authorization,
            accept: 'application/json',
            ...(body instanceof FormData || body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body instanceof FormData ? body : body === undefined ? undefined : JSON.stringify(body),
          signal,
        })
      } catch (error) {
        if (!connectionRefused(error) || tried >= roots.length - 1) throw new EngineUnreachableError(`${roots[node]}${path}`, error)
        node = (node + 1) % roots.length
        if (!rotate) current = node
      }
    }
  }

  async function call<T>(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<T> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 30000)
    const response = await send(method, path, body, options.signal ? AbortSignal.any([timeout, options.signal]) : timeout)
    const text = await response.text()
    if (!response.ok) {
      let type: string | undefined
      let message = text
      try {
        const parsed = JSON.parse(text) as { type?: string; message?: string }
        type = parsed.type
        message = parsed.message ?? text
      } catch {
        // not JSON: keep the raw body
      }
      throw new EngineRestError(response.status, method, path, type, message)
    }
    return (text ? JSON.parse(text) : undefined) as T
  }

  return {
    /** The REST root of the node the next call goes to first. */
    get root() {
      return roots[current]
    },
    user: credentials.user,
    get: <T>(path: string, options?: CallOptions) => call<T>('GET', path, undefined, options),
    post: <T>(path: string, body: unknown = {}, options?: CallOptions) => call<T>('POST', path, body, options),
    put: <T>(path: string, body: unknown = {}, options?: CallOptions) => call<T>('PUT', path, body, options),
    delete: <T>(path: string, options?: CallOptions) => call<T>('DELETE', path, undefined, options),
  }
}

export type EngineRest = ReturnType<typeof createEngineRest>

/** A variable as the engine's REST API carries it. */
export interface EngineVariable {
  value: unknown
  type: string
  valueInfo?: Record<string, unknown>
}

export type EngineVariables = Record<string, EngineVariable>

/** One plain JSON value as a typed engine variable: objects and arrays as Spin `Json`. */
export function toEngineVariable(value: unknown): EngineVariable {
  if (value === null || value === undefined) return { value: null, type: 'Null' }
  if (typeof value === 'string') return { value, type: 'String' }
  if (typeof value === 'boolean') return { value, type: 'Boolean' }
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return { value, type: Math.abs(value) <= 2147483647 ? 'Integer' : 'Long' }
    return { value, type: 'Double' }
  }
  return { value: JSON.stringify(value), type: 'Json' }
}

/** Plain JSON values as engine variables (see `toEngineVariable`). */
export function toEngineVariables(values: Record<string, unknown>): EngineVariables {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, toEngineVariable(value)]))
}

/** One engine variable as a plain JSON value: `Json` (and JSON-serialized `Object`) parsed. */
export function fromEngineVariable(variable: EngineVariable): unknown {
  const { type, value } = variable
  if ((type === 'Json' || type === 'Object') && typeof value === 'string') {
    try {
      return JSON.parse(value)
    } catch {
      return value
    }
  }
  if (type === 'Date' && typeof value === 'string') return new Date(value).toISOString()
  return value
}

/** Engine variables as plain JSON values (see `fromEngineVariable`). */
export function fromEngineVariables(variables: EngineVariables | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(variables ?? {}).map(([name, variable]) => [name, fromEngineVariable(variable)]))
}

/** The engine's only accepted Date format in REST bodies: yyyy-MM-dd'T'HH:mm:ss.SSS+0000. */
export function engineDate(date: Date): string {
  return date.toISOString().replace('Z', '+0000')
}
