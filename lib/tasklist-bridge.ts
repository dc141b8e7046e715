/**
 * Lets Camunda 8.6.0's Tasklist claim and complete user tasks.
 *
 * In the single application (broker, REST API and web apps in one process) Tasklist assigns,
 * unassigns and completes Zeebe user tasks by calling the engine REST API with its own client,
 * which carries no session; the web apps' security on `/v*` refuses that call, and Tasklist shows
 * an error (camunda/camunda#21818, #24808; fixed in 8.6.9, which Maven Central does not serve).
 * Tasklist's REST address (`camunda.tasklist.zeebe.restAddress`) therefore points here: this
 * bridge, on 127.0.0.1 only, forwards exactly those three calls to the REST API with a session of
 * CAMUNDA_USERNAME and refuses everything else. Who may complete a task is still decided by
 * Tasklist, which only sends these calls for a logged-in user with the right to work tasks.
 * It runs beside the engine (lib/engine.ts starts and stops it); drop it when the engine is 8.6.9+.
 */
import http from 'node:http'
import { engineSession } from './camunda.ts'
import type { Config } from './config.ts'

/** The user-task calls Tasklist makes: assign, unassign, complete. */
const ALLOWED = [
  { method: 'POST', path: /^\/v2\/user-tasks\/\d+\/assignment$/ },
  { method: 'DELETE', path: /^\/v2\/user-tasks\/\d+\/assignee$/ },
  { method: 'POST', path: /^\/v2\/user-tasks\/\d+\/completion$/ },
]

export function allowedCall(method: string, url: string): boolean {
  const pathname = new URL(url, 'http://bridge').pathname
  return ALLOWED.some((call) => call.method === method && call.path.test(pathname))
}

async function readBody(request: http.IncomingMessage, limit = 10 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > limit) throw new Error('request body too large')
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

/** The bridge's HTTP server (not yet listening). */
export function createTasklistBridge(config: Config): http.Server {
  let session: Promise<string> | undefined
  const forward = async (method: string, url: string, contentType: string | undefined, body: Buffer, fresh: boolean): Promise<Response> => {
    if (!session || fresh) session = engineSession(config)
    const response = await fetch(new URL(url, config.CAMUNDA_REST_ADDRESS), {
      method,
      headers: { cookie: await session, accept: 'application/json', ...(contentType ? { 'content-type': contentType } : {}) },
      body: body.length ? new Uint8Array(body) : undefined,
      signal: AbortSignal.timeout(30000),
    })
    if (response.status === 401 && !fresh) return forward(method, url, contentType, body, true)
    return response
  }
  return http.createServer((request, response) => {
    const method = request.method ?? 'GET'
    const url = request.url ?? '/'
    if (!allowedCall(method, url)) {
      response.writeHead(404, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ title: 'NOT_FOUND', detail: `the Tasklist bridge forwards only user-task assignment and completion, not ${method} ${url}` }))
      return
    }
    readBody(request)
      .then((body) => forward(method, url, request.headers['content-type'], body, false))
      .then(async (answer) => {
        const text = Buffer.from(await answer.arrayBuffer())
        response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' })
        response.end(text)
      })
      .catch((error: Error) => {
        response.writeHead(502, { 'content-type': 'application/json' })
        response.end(JSON.stringify({ title: 'BAD_GATEWAY', detail: `the engine REST API did not answer: ${error.message}` }))
      })
  })
}
