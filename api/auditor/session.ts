/**
 * The auditor view's logins: the user and password are checked against the engine's identity
 * service (`POST /identity/verify`, `GET /identity/groups`) as the API's own engine user, and only
 * members of the `auditor` group (and the engine's administrators) get a session. A session is a
 * random id in a cookie (HttpOnly, SameSite=Strict, path /auditor), kept in this process's memory
 * only, ended by logout or after AUDITOR_IDLE_MINUTES without a request. No API key ever reaches
 * the browser.
 */
import { randomBytes } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { EngineRest } from '../../lib/engine-rest.ts'
import { AUDITOR } from '../../lib/identity.ts'
import { ApiProblem } from '../problems.ts'

/** The session cookie's name. */
export const COOKIE = 'order_flow_auditor'
/** The engine's own administrators' group (Operaton's default admin user is in it). */
export const ENGINE_ADMIN_GROUP = 'operaton-admin'

/** A logged-in auditor. */
export interface Session {
  user: string
  /** The user's engine groups, as the engine answered at login. */
  groups: string[]
  lastSeen: number
}

/** Reads one cookie from the Cookie header (no other cookie matters here). */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=')
    if (key === name) return value.join('=')
  }
  return undefined
}

/** How sessions are kept. */
export interface SessionOptions {
  idleMinutes: number
  /** The engine administrator (ENGINE_ADMIN_USER), admitted like an auditor. */
  adminUser: string
  /** Sets Secure on the cookie (the API behind HTTPS). */
  secure?: boolean
  now?: () => number
}

/** The sessions of one API process, checked against the engine as `rest`'s user (ENGINE_API_USER). */
export function createSessions(rest: EngineRest, options: SessionOptions) {
  const sessions = new Map<string, Session>()
  const idleMs = options.idleMinutes * 60_000
  const now = options.now ?? Date.now

  const cookie = (id: string, maxAge: number) =>
    `${COOKIE}=${id}; Path=/auditor; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${options.secure ? '; Secure' : ''}`

  function current(request: FastifyRequest): { id: string; session: Session } | undefined {
    const id = cookieValue(request.headers.cookie, COOKIE)
    const session = id ? sessions.get(id) : undefined
    if (!id || !session) return undefined
    if (now() - session.lastSeen > idleMs) {
      sessions.delete(id)
      return undefined
    }
    return { id, session }
  }

  return {
    /**
     * Checks the login with the engine; a session for an auditor or administrator, 401 for a wrong
     * user or password, 403 for a user of no admitted group (no session is made).
     */
    async logIn(reply: FastifyReply, username: string, password: string): Promise<Session> {
      const verified = await rest.post<{ authenticatedUser: string | null; authenticated: boolean }>('/identity/verify', { username, password })
      if (!verified.authenticated) throw new ApiProblem(401, 'login-failed', 'Wrong user or password', 'The engine did not accept this user and password.')
      const { groups } = await rest.get<{ groups: { id: string }[] }>(`/identity/groups?userId=${encodeURIComponent(username)}`)
      const ids = groups.map((g) => g.id)
      if (!ids.includes(AUDITOR) && !ids.includes(ENGINE_ADMIN_GROUP) && username !== options.adminUser) {
        throw new ApiProblem(403, 'forbidden', 'Not an auditor', `The auditor view is for the engine group ${AUDITOR} (and administrators); ${username} is not in it.`)
      }
      for (const [id, session] of sessions) if (now() - session.lastSeen > idleMs) sessions.delete(id)
      const id = randomBytes(32).toString('base64url')
      const session = { user: username, groups: ids, lastSeen: now() }
      sessions.set(id, session)
      reply.header('set-cookie', cookie(id, Math.ceil(idleMs / 1000)))
      return session
    },

    /** Ends the request's session (if any) and clears the cookie. */
    logOut(request: FastifyRequest, reply: FastifyReply): void {
      const found = current(request)
      if (found) sessions.delete(found.id)
      reply.header('set-cookie', cookie('', 0))
    },

    /** The request's live session, its idle time restarted; 401 when there is none (or it timed out). */
    require(request: FastifyRequest, reply: FastifyReply): Session {
      const found = current(request)
      if (!found) {
        throw new ApiProblem(401, 'unauthenticated', 'Log in', 'No auditor session: it ended, timed out or never began. Log in again.')
      }
      found.session.lastSeen = now()
      reply.header('set-cookie', cookie(found.id, Math.ceil(idleMs / 1000)))
      return found.session
    },

    get size() {
      return sessions.size
    },
  }
}
