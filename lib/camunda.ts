/** Clients for the engine: the SDK (gRPC job streaming, deployments, messages) and its REST API. */
import { Camunda8 } from '@camunda8/sdk'
import type { Config } from './config.ts'

/**
 * The SDK, configured from our configuration only (never from its own environment variables).
 * `retries`: how often a gRPC call is tried again while the engine is unreachable (the SDK's
 * default, -1, waits for it forever — right for workers, wrong for an HTTP request).
 */
export function createCamunda(config: Config, { retries = -1 }: { retries?: number } = {}): Camunda8 {
  return new Camunda8({
    ZEEBE_GRPC_ADDRESS: `grpc://${config.CAMUNDA_GRPC_ADDRESS}`,
    ZEEBE_REST_ADDRESS: config.CAMUNDA_REST_ADDRESS,
    // Camunda 8.6 without Identity protects its REST API with the web apps' session login.
    CAMUNDA_AUTH_STRATEGY: 'COOKIE',
    CAMUNDA_COOKIE_AUTH_URL: new URL('/api/login', config.CAMUNDA_REST_ADDRESS).toString(),
    CAMUNDA_COOKIE_AUTH_USERNAME: config.CAMUNDA_USERNAME,
    CAMUNDA_COOKIE_AUTH_PASSWORD: config.CAMUNDA_PASSWORD,
    CAMUNDA_LOG_LEVEL: 'error',
    zeebeGrpcSettings: {
      ZEEBE_CLIENT_LOG_LEVEL: 'ERROR',
      ZEEBE_GRPC_CLIENT_MAX_RETRIES: retries,
      ...(retries >= 0 ? { ZEEBE_GRPC_CLIENT_MAX_RETRY_TIMEOUT_SECONDS: 2 } : {}),
    },
  })
}

/** Error from the engine REST API, with the status and the engine's own problem text. */
export class EngineRestError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
    readonly body: string,
  ) {
    super(`engine REST ${path} answered ${status}: ${body.slice(0, 500)}`)
    this.name = 'EngineRestError'
  }
}

/** Logs in to the engine's web session (what Operate and Tasklist do) and returns its cookie. */
export async function engineSession(config: Config): Promise<string> {
  const url = new URL('/api/login', config.CAMUNDA_REST_ADDRESS)
  url.search = new URLSearchParams({ username: config.CAMUNDA_USERNAME, password: config.CAMUNDA_PASSWORD }).toString()
  const response = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(10000) })
  if (!response.ok) throw new EngineRestError(response.status, '/api/login', `login as ${config.CAMUNDA_USERNAME} refused`)
  const cookies = response.headers.getSetCookie().map((cookie) => cookie.split(';')[0])
  if (!cookies.length) throw new EngineRestError(response.status, '/api/login', 'no session cookie in the answer')
  return cookies.join('; ')
}

/** A thin JSON client for the engine REST API (searches, user tasks, clock) over a session. */
export function createEngineRest(config: Config) {
  let session: Promise<string> | undefined
  async function call<T>(method: string, path: string, body?: unknown, fresh = false): Promise<T> {
    if (!session || fresh) session = engineSession(config)
    const response = await fetch(new URL(path, config.CAMUNDA_REST_ADDRESS), {
      method,
      headers: { cookie: await session, 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30000),
    })
    const text = await response.text()
    if (response.status === 401 && !fresh) return call<T>(method, path, body, true)
    if (!response.ok) throw new EngineRestError(response.status, path, text)
    return (text ? JSON.parse(text) : undefined) as T
  }
  return {
    get: <T>(path: string) => call<T>('GET', path),
    post: <T>(path: string, body?: unknown) => call<T>('POST', path, body ?? {}),
    put: <T>(path: string, body?: unknown) => call<T>('PUT', path, body ?? {}),
  }
}

export type EngineRest = ReturnType<typeof createEngineRest>
