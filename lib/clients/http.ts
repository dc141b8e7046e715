/**
 * JSON over fetch for the outside services (carrier, payment provider, notification webhook).
 * Every answer is sorted into one of three kinds, so a worker can tell a business outcome from a
 * technical fault:
 * - `ok`: 2xx, or the provider saying it already handled this idempotency key (a duplicate);
 *   the result is the original one, so a redelivered job never books or refunds twice;
 * - `refused`: 409/422 with a `code` in the body: the provider understood and said no
 *   (the worker turns it into a BPMN error);
 * - anything else is thrown as an `OutsideServiceError` naming the service, method, URL path,
 *   status and what to fix (the worker runtime fails the job with retries, then an incident).
 */
import { STATUS_CODES } from 'node:http'
import { ConfigError, type Config } from '../config.ts'

/** Where and how to reach one outside service; the variable names go into error messages. */
export interface ServiceEndpoint {
  /** Human name used in messages, e.g. `carrier API`. */
  service: string
  /** Base URL; request paths are resolved below it (a path prefix such as `/v2` is kept). */
  baseUrl: string
  /** Sent as `Authorization: Bearer <key>` when set. Never logged nor put in a message. */
  apiKey?: string
  /** The variable holding `baseUrl`, named when the service is unreachable or the path unknown. */
  urlVariable: string
  /** The variable holding the credential, named when the service answers 401/403. */
  keyVariable: string
  timeoutMs: number
}

export interface JsonRequest {
  method: 'GET' | 'POST'
  /** Below the base URL, e.g. `/bookings`; `''` posts to the base URL itself. */
  path: string
  /** Sent as the `Idempotency-Key` header: the same key always means the same operation. */
  idempotencyKey?: string
  body?: unknown
  /** Extra headers computed from the exact body text sent (e.g. a signature over it). */
  headersFor?: (bodyText: string) => Record<string, string>
}

export type JsonBody = Record<string, unknown>

/** The answer of a call that did not fail technically. */
export type JsonAnswer =
  | { kind: 'ok'; status: number; body: JsonBody; duplicate: boolean; where: string }
  | { kind: 'refused'; status: number; code: string; reason: string }

/** A technical fault talking to an outside service: retrying (or fixing configuration) helps. */
export class OutsideServiceError extends Error {
  constructor(
    message: string,
    readonly service: string,
    readonly status?: number,
  ) {
    super(message)
    this.name = 'OutsideServiceError'
  }
}

/** Statuses whose body may carry a business refusal code. */
const refusalStatuses = new Set([409, 422])
/** Codes a provider uses for "this idempotency key was handled already". */
const duplicateCode = /^(already[_ -]?processed|duplicate([_ -]?request)?|idempotent[_ -]?replay)$/i

function resolve(endpoint: ServiceEndpoint, path: string): URL {
  if (path === '') return new URL(endpoint.baseUrl)
  const base = endpoint.baseUrl.endsWith('/') ? endpoint.baseUrl : `${endpoint.baseUrl}/`
  return new URL(path.replace(/^\//, ''), base)
}

const isObject = (value: unknown): value is JsonBody =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function parse(text: string): unknown {
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** A short, single-line excerpt of what the service said, for messages. */
function excerpt(body: unknown, text: string): string {
  if (isObject(body)) {
    const said = [body.code, body.reason ?? body.message ?? body.detail ?? body.title ?? body.error]
      .filter((part) => typeof part === 'string' && part !== '')
      .join(': ')
    if (said) return ` (${said.slice(0, 200)})`
  }
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat ? ` (${flat.slice(0, 200)})` : ''
}

function whatToFix(endpoint: ServiceEndpoint, status: number): string {
  if (status === 401 || status === 403) return `check ${endpoint.keyVariable}`
  if (status === 404 || status === 405) return `check ${endpoint.urlVariable} (no such endpoint there)`
  if (status === 408 || status === 429) return 'the service is busy; the job is retried with back-off'
  if (status >= 500) return 'the service failed; the job is retried with back-off'
  return 'the service rejected the request order-flow sent: compare lib/clients/README.md with the service'
}

/**
 * Sends one JSON request and classifies the answer (see the module comment).
 * @throws OutsideServiceError for timeouts, network errors, 5xx, unexpected 4xx and unreadable bodies.
 */
export async function callJson(endpoint: ServiceEndpoint, request: JsonRequest): Promise<JsonAnswer> {
  const url = resolve(endpoint, request.path)
  const where = `${request.method} ${url.pathname}`
  const bodyText = request.body === undefined ? '' : JSON.stringify(request.body)
  const headers: Record<string, string> = { accept: 'application/json' }
  if (request.body !== undefined) headers['content-type'] = 'application/json'
  if (request.idempotencyKey) headers['idempotency-key'] = request.idempotencyKey
  if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`
  Object.assign(headers, request.headersFor?.(bodyText))

  let status: number
  let text: string
  try {
    const response = await fetch(url, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : bodyText,
      signal: AbortSignal.timeout(endpoint.timeoutMs),
      redirect: 'error',
    })
    status = response.status
    text = await response.text()
  } catch (error) {
    const name = (error as Error).name
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new OutsideServiceError(
        `${endpoint.service} did not answer ${where} within ${endpoint.timeoutMs} ms: check that ${endpoint.urlVariable} points at a running service, or raise OUTSIDE_CALL_TIMEOUT_MS`,
        endpoint.service,
      )
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause
    const detail = cause?.code ?? cause?.message ?? (error as Error).message
    throw new OutsideServiceError(
      `${endpoint.service} could not be reached for ${where} (${detail}): check ${endpoint.urlVariable} and the network`,
      endpoint.service,
    )
  }

  const body = parse(text)
  const fail = (problem: string, fix: string): never => {
    throw new OutsideServiceError(`${endpoint.service} ${problem} for ${where}: ${fix}`, endpoint.service, status)
  }
  const statusLine = `${status} ${STATUS_CODES[status] ?? ''}`.trim()

  if (status >= 200 && status < 300) {
    if (!isObject(body)) return fail(`answered ${statusLine} with a body that is not a JSON object`, whatToFix(endpoint, 400))
    return { kind: 'ok', status, body, duplicate: body.duplicate === true, where }
  }
  if (refusalStatuses.has(status) && isObject(body)) {
    const code = typeof body.code === 'string' ? body.code : undefined
    if (body.duplicate === true || (code && duplicateCode.test(code))) {
      return { kind: 'ok', status, body: isObject(body.original) ? body.original : body, duplicate: true, where }
    }
    if (code) {
      const reason = [body.reason, body.message, body.detail].find((part) => typeof part === 'string' && part !== '')
      return { kind: 'refused', status, code, reason: (reason as string | undefined) ?? code }
    }
  }
  return fail(`answered ${statusLine}${excerpt(body, text)}`, whatToFix(endpoint, status))
}

/**
 * Reads a required string field of an ok answer.
 * @throws OutsideServiceError naming the field when the service left it out.
 */
export function requireString(endpoint: ServiceEndpoint, answer: JsonAnswer & { kind: 'ok' }, field: string): string {
  const value = answer.body[field]
  if (typeof value === 'string' && value !== '') return value
  throw new OutsideServiceError(
    `${endpoint.service} answered ${answer.where} without "${field}": compare lib/clients/README.md with the service`,
    endpoint.service,
    answer.status,
  )
}

type OptionalSetting = 'CARRIER_API_URL' | 'PAYMENT_API_URL' | 'NOTIFY_WEBHOOK_URL' | 'NOTIFY_WEBHOOK_SECRET'

/**
 * A setting a live client cannot work without.
 * @throws ConfigError naming the variable when it is not set.
 */
export function requiredSetting(config: Config, name: OptionalSetting): string {
  const value = config[name]
  if (value) return value
  throw new ConfigError([`${name}: required when OUTSIDE_SERVICES_MODE=live, but not set`])
}
