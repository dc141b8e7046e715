/**
 * The staff's logins to Tasklist and Operate: a demo user per role of ../shared/PROCESSES.md
 * "Roles" (user name = the candidate group its tasks name) and an auditor.
 *
 * Camunda 8.6 without Identity keeps its web-app users in the search store: Operate's user index
 * (`operate-user-*`), which the combined distribution's login (`/api/login`, both web apps)
 * reads. Its configuration creates one user (`camunda.operate.userId/password`, our
 * CAMUNDA_USERNAME) plus the built-ins `view` and `act`; more users are documents in that index,
 * written here with a password hash Spring Security accepts ({pbkdf2@SpringSecurity_v5_8}).
 * Without Identity a user has no groups, so Tasklist shows every task to every user (see the
 * README, "For staff").
 */
import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Config } from './config.ts'
import { ports } from './engine.ts'

/** Operate's roles: USER reads, OPERATOR also acts on instances (cancel, retry), OWNER is the configured admin. */
export type OperateRole = 'USER' | 'OPERATOR' | 'OWNER'

export interface StaffUser {
  /** Login name; for staff, the candidate group of the tasks they do. */
  userId: string
  displayName: string
  roles: OperateRole[]
}

/**
 * One demo user per role (PROCESSES.md "Roles") and the auditor. The web apps share one role per
 * user: USER may only read, in Operate and in Tasklist (claiming or completing a task is refused);
 * OPERATOR may also work tasks in Tasklist, which in 8.6 cannot be had without the same right in
 * Operate (cancel, retry, edit variables). So staff are OPERATORs and the auditor is a USER.
 */
export const staffUsers: readonly StaffUser[] = [
  ['sales-assistant', 'Sales assistant (销售内勤)'],
  ['sales-manager', 'Sales manager (销售部负责人)'],
  ['logistics-clerk', 'Logistics clerk (物流员)'],
  ['workshop-supervisor', 'Workshop supervisor (车间主管)'],
  ['engineering-supervisor', 'Engineering supervisor (工程主管)'],
  ['production-manager', 'Production manager (生产部经理)'],
  ['planning-group', 'Planning group (计划组)'],
  ['procurement', 'Procurement (采购部)'],
  ['quality', 'Quality (品质部)'],
  ['warehouse', 'Warehouse (仓库/成品库)'],
  ['after-sales', 'After-sales service (售后服务部)'],
  ['customer-service', 'Customer service (客服)'],
  ['finance', 'Finance (财务部)'],
  ['general-manager', 'General manager (总经理)'],
  ['deputy-general-manager', 'Deputy general manager (副总经理)'],
  ['auditor', 'Auditor (审计, read-only)'],
].map(([userId, displayName]) => ({ userId, displayName, roles: userId === 'auditor' ? ['USER'] : ['OPERATOR'] }))

/**
 * Operate's built-in users, created at every engine start when missing with the password equal
 * to the name; `ensureStaffUsers` gives them the staff password so that no login has a known one.
 */
const builtInUsers: readonly StaffUser[] = [
  { userId: 'view', displayName: 'view', roles: ['USER'] },
  { userId: 'act', displayName: 'act', roles: ['OPERATOR'] },
]

// Spring Security's Pbkdf2PasswordEncoder.defaultsForSpringSecurity_v5_8(): 16-byte salt, no
// secret, 310000 rounds of HMAC-SHA256, 256-bit hash, hex of salt + hash.
const PBKDF2_ID = '{pbkdf2@SpringSecurity_v5_8}'
const derive = (password: string, salt: Buffer) => pbkdf2Sync(Buffer.from(password, 'utf8'), salt, 310000, 32, 'sha256')

/** A password hash the web apps' login accepts. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16)
  return PBKDF2_ID + Buffer.concat([salt, derive(password, salt)]).toString('hex')
}

/** Whether `stored` is our hash of `password` (other encodings count as not matching). */
export function passwordMatches(stored: string | undefined, password: string): boolean {
  if (!stored?.startsWith(PBKDF2_ID)) return false
  const bytes = Buffer.from(stored.slice(PBKDF2_ID.length), 'hex')
  if (bytes.length !== 48) return false
  return timingSafeEqual(bytes.subarray(16), derive(password, bytes.subarray(0, 16)))
}

interface UserDocument {
  id: string
  userId: string
  displayName: string
  password: string
  roles: string[]
}

const searchUrl = `http://127.0.0.1:${ports.search}`
/** Operate 8.6's user index alias; its one index is written to by name (the alias is not a write alias). */
const USER_INDEX_ALIAS = 'operate-user-1.2.0_alias'

async function searchStore(method: string, url: string, body?: unknown): Promise<Response> {
  return fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10000),
  })
}

/**
 * Creates or updates the staff users (and re-keys the built-ins) in the engine's user index, with
 * `STAFF_PASSWORD`. Idempotent: a user whose name, roles and password already match is left alone.
 * The engine must be running (its start creates the index). Returns the user names written.
 */
export async function ensureStaffUsers(config: Config): Promise<string[]> {
  const aliases = await searchStore('GET', `${searchUrl}/_alias/${USER_INDEX_ALIAS}`)
  const [indexName] = aliases.ok ? Object.keys((await aliases.json()) as Record<string, unknown>) : []
  if (!indexName) {
    throw new Error(`the engine's user index (${USER_INDEX_ALIAS}) is missing (${aliases.status}): start the engine first (npm run engine -- start)`)
  }
  const index = `${searchUrl}/${indexName}`
  const written: string[] = []
  for (const user of [...staffUsers, ...builtInUsers]) {
    const found = await searchStore('GET', `${index}/_doc/${encodeURIComponent(user.userId)}`)
    const existing = found.ok ? ((await found.json()) as { _source: UserDocument })._source : undefined
    if (
      existing &&
      existing.displayName === user.displayName &&
      existing.roles.join() === user.roles.join() &&
      passwordMatches(existing.password, config.STAFF_PASSWORD)
    ) {
      continue
    }
    const document: UserDocument = { id: user.userId, userId: user.userId, displayName: user.displayName, password: hashPassword(config.STAFF_PASSWORD), roles: user.roles }
    const response = await searchStore('PUT', `${index}/_doc/${encodeURIComponent(user.userId)}?refresh=true`, document)
    if (!response.ok) throw new Error(`writing user ${user.userId} to the engine's user index answered ${response.status}: ${await response.text()}`)
    written.push(user.userId)
  }
  return written
}
