/**
 * Errors as RFC 9457 problem details (`application/problem+json`) with a stable `code` that
 * clients can branch on; the title is for people, the code is the contract.
 */

/** One invalid field of a request, as ajv found it. */
export interface FieldError {
  /** JSON pointer into the request part, e.g. /body/lines/0/quantity. */
  path: string
  message: string
}

/** A problem the API answers with; thrown anywhere in a handler. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
  ) {
    super(detail ?? title)
    this.name = 'ApiProblem'
  }

  body(instance?: string) {
    return {
      type: `https://order-flow.local/problems/${this.code}`,
      title: this.title,
      status: this.status,
      code: this.code,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
    }
  }
}

/** The problem document every error response uses. */
export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details, sent as application/problem+json.',
  required: ['type', 'title', 'status', 'code'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', description: 'URI naming the kind of problem.' },
    title: { type: 'string', description: 'Short, human-readable summary.' },
    status: { type: 'integer', description: 'HTTP status code.' },
    code: { type: 'string', description: 'Stable machine-readable code, e.g. invalid-request, order-not-found.' },
    detail: { type: 'string', description: 'What exactly is wrong with this request.' },
    instance: { type: 'string', description: 'The request path.' },
    errors: {
      type: 'array',
      description: 'Every invalid field, when the request failed validation.',
      items: {
        type: 'object',
        required: ['path', 'message'],
        additionalProperties: false,
        properties: { path: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const

const problemResponse = {
  description: 'A problem (RFC 9457) with a stable code.',
  content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } },
}

/** Problem responses of a route, by status code, for its `response` schema. */
export function problems(...statuses: number[]): Record<number, typeof problemResponse> {
  return Object.fromEntries(statuses.map((status) => [status, problemResponse]))
}

export const notFound = (what: string, id: string, code = `${what}-not-found`) =>
  new ApiProblem(404, code, `Unknown ${what.replace(/-/g, ' ')}`, `No ${what.replace(/-/g, ' ')} ${id} is known.`)
