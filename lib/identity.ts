/**
 * The engine's users, groups, authorizations and Tasklist filters, set up idempotently at every
 * start (`ensureIdentity`) through the engine's REST API as the administrator:
 * - a group per role of ../shared/PROCESSES.md "Roles" (the candidate groups of the user tasks),
 *   with a demo user of the same id (password STAFF_PASSWORD) in it;
 * - `auditor`: a user and group that read definitions, instances, history and the operation log in
 *   Cockpit, and change nothing;
 * - the technical users of the workers and the API (ENGINE_WORKER_USER, ENGINE_API_USER), one
 *   each, so a wrong password of one locks out only that component, in the group `order-flow-system`
 *   (which may also read users and groups: the API checks an auditor view login and its groups);
 * - per group a saved Tasklist filter showing its tasks with their order number.
 * Each staff group may open Tasklist, read the process definitions and deployments (the task
 * forms live in the deployment) and the variables of their instances (the order number in the
 * task list); the engine itself lets a candidate group read, claim and complete
 * its tasks (the default authorization of a candidate-group link), so nobody sees another group's.
 */
import type { Config } from './config.ts'
import { createEngineRest, EngineRestError, type EngineRest } from './engine-rest.ts'

export interface Role {
  /** Group id = demo user id = the candidate group the tasks name. */
  id: string
  /** The role's name as staff know it, in Chinese. */
  chinese: string
  /** The same in English (the demo user's name). */
  english: string
  /** The group's and its Tasklist filter's name: the Chinese name, then the id (`销售内勤 sales-assistant`). */
  name: string
}

/** The roles of PROCESSES.md whose members do user tasks. */
export const roles: readonly Role[] = [
  ['sales-assistant', '销售内勤', 'Sales assistant'],
  ['sales-manager', '销售部负责人', 'Sales manager'],
  ['logistics-clerk', '物流员', 'Logistics clerk'],
  ['workshop-supervisor', '车间主管', 'Workshop supervisor'],
  ['engineering-supervisor', '工程主管', 'Engineering supervisor'],
  ['production-manager', '生产部经理', 'Production manager'],
  ['planning-group', '计划组', 'Planning group'],
  ['procurement', '采购部', 'Procurement'],
  ['quality', '品质部', 'Quality'],
  ['warehouse', '仓库/成品库', 'Warehouse'],
  ['after-sales', '售后服务部', 'After-sales service'],
  ['customer-service', '客服', 'Customer service'],
  ['finance', '财务部', 'Finance'],
  ['general-manager', '总经理', 'General manager'],
  ['deputy-general-manager', '副总经理', 'Deputy general manager'],
].map(([id, chinese, english]) => ({ id, chinese, english, name: `${chinese} ${id}` }))

export const AUDITOR = 'auditor'
export const SYSTEM_GROUP = 'order-flow-system'

/** Operaton's resource type ids (org.operaton.bpm.engine.authorization.Resources). */
const resource = {
  application: 0,
  user: 1,
  group: 2,
  filter: 5,
  processDefinition: 6,
  task: 7,
  processInstance: 8,
  deployment: 9,
  decisionDefinition: 10,
  batch: 13,
  decisionRequirementsDefinition: 14,
  operationLogCategory: 17,
  historicTask: 19,
  historicProcessInstance: 20,
} as const

const GRANT = 1

interface Grant {
  groupId: string
  resourceType: number
  resourceId: string
  permissions: string[]
}

/** What each kind of group may do, beyond what the engine grants candidate groups on their tasks. */
function grants(): Grant[] {
  const staff = roles.flatMap(({ id }): Grant[] => [
    { groupId: id, resourceType: resource.application, resourceId: 'tasklist', permissions: ['ACCESS'] },
    // READ_INSTANCE lets Tasklist show each task's order number (a process variable) in the
    // group's filter; it grants no task: tasks need READ on the task (or READ_TASK here).
    { groupId: id, resourceType: resource.processDefinition, resourceId: '*', permissions: ['READ', 'READ_INSTANCE'] },
    { groupId: id, resourceType: resource.deployment, resourceId: '*', permissions: ['READ'] },
  ])
  const auditor: Grant[] = [
    { groupId: AUDITOR, resourceType: resource.application, resourceId: 'cockpit', permissions: ['ACCESS'] },
    { groupId: AUDITOR, resourceType: resource.application, resourceId: 'tasklist', permissions: ['ACCESS'] },
    { groupId: AUDITOR, resourceType: resource.processDefinition, resourceId: '*', permissions: ['READ', 'READ_INSTANCE', 'READ_HISTORY', 'READ_TASK'] },
    { groupId: AUDITOR, resourceType: resource.processInstance, resourceId: '*', permissions: ['READ'] },
    { groupId: AUDITOR, resourceType: resource.task, resourceId: '*', permissions: ['READ'] },
    { groupId: AUDITOR, resourceType: resource.deployment, resourceId: '*', permissions: ['READ'] },
    { groupId: AUDITOR, resourceType: resource.decisionDefinition, resourceId: '*', permissions: ['READ', 'READ_HISTORY'] },
    { groupId: AUDITOR, resourceType: resource.decisionRequirementsDefinition, resourceId: '*', permissions: ['READ'] },
    { groupId: AUDITOR, resourceType: resource.operationLogCategory, resourceId: '*', permissions: ['READ'] },
    { groupId: AUDITOR, resourceType: resource.historicTask, resourceId: '*', permissions: ['READ'] },
    { groupId: AUDITOR, resourceType: resource.historicProcessInstance, resourceId: '*', permissions: ['READ'] },
  ]
  const system: Grant[] = [
    resource.processDefinition,
    resource.processInstance,
    resource.task,
    resource.deployment,
    resource.decisionDefinition,
    resource.decisionRequirementsDefinition,
    resource.batch,
    resource.operationLogCategory,
    resource.historicTask,
    resource.historicProcessInstance,
  ].map((resourceType) => ({ groupId: SYSTEM_GROUP, resourceType, resourceId: '*', permissions: ['ALL'] }))
  // The API checks an auditor view login against the engine: the user's groups must be readable.
  system.push(
    { groupId: SYSTEM_GROUP, resourceType: resource.user, resourceId: '*', permissions: ['READ'] },
    { groupId: SYSTEM_GROUP, resourceType: resource.group, resourceId: '*', permissions: ['READ'] },
  )
  return [...staff, ...auditor, ...system]
}

interface EngineAuthorization {
  id: string
  groupId: string | null
  resourceType: number
  resourceId: string
  permissions: string[]
}

async function exists(rest: EngineRest, path: string): Promise<boolean> {
  try {
    await rest.get(path)
    return true
  } catch (error) {
    if (error instanceof EngineRestError && error.status === 404) return false
    throw error
  }
}

async function ensureGroup(rest: EngineRest, id: string, name: string, type: string): Promise<void> {
  if (await exists(rest, `/group/${encodeURIComponent(id)}`)) {
    await rest.put(`/group/${encodeURIComponent(id)}`, { id, name, type })
  } else {
    await rest.post('/group/create', { id, name, type })
  }
}

/** Creates the user, or sets its name and password again (so the configured password always holds). */
async function ensureUser(rest: EngineRest, id: string, firstName: string, lastName: string, password: string, adminPassword: string): Promise<void> {
  const path = `/user/${encodeURIComponent(id)}`
  if (await exists(rest, `${path}/profile`)) {
    await rest.put(`${path}/profile`, { id, firstName, lastName, email: `${id}@order-flow.invalid` })
    await rest.put(`${path}/credentials`, { password, authenticatedUserPassword: adminPassword })
  } else {
    await rest.post('/user/create', { profile: { id, firstName, lastName, email: `${id}@order-flow.invalid` }, credentials: { password } })
  }
}

async function ensureMember(rest: EngineRest, groupId: string, userId: string): Promise<void> {
  const members = await rest.get<{ id: string }[]>(`/user?memberOfGroup=${encodeURIComponent(groupId)}&id=${encodeURIComponent(userId)}`)
  if (!members.length) await rest.put(`/group/${encodeURIComponent(groupId)}/members/${encodeURIComponent(userId)}`)
}

async function ensureGrant(rest: EngineRest, grant: Grant, existing: EngineAuthorization[]): Promise<void> {
  const found = existing.find((a) => a.groupId === grant.groupId && a.resourceType === grant.resourceType && a.resourceId === grant.resourceId)
  if (!found) {
    await rest.post('/authorization/create', { type: GRANT, ...grant })
    return
  }
  if (grant.permissions.every((p) => found.permissions.includes(p) || found.permissions.includes('ALL'))) return
  await rest.put(`/authorization/${found.id}`, { ...grant, permissions: [...new Set([...found.permissions, ...grant.permissions])] })
}

interface EngineFilter {
  id: string
  name: string
  query?: { candidateGroup?: string }
}

/** The saved Tasklist filter of a group: its tasks (claimed ones included), order number shown. */
function filterOf(role: Role) {
  return {
    resourceType: 'Task',
    name: role.name,
    query: { candidateGroup: role.id, includeAssignedTasks: true, sorting: [{ sortBy: 'dueDate', sortOrder: 'asc' }] },
    properties: {
      description: `Tasks of the group ${role.id}`,
      priority: 10,
      refresh: true,
      showUndefinedVariable: false,
      variables: [{ name: 'orderNumber', label: 'Order 订单号' }],
    },
  }
}

async function ensureFilter(rest: EngineRest, role: Role, adminUser: string, existing: EngineFilter[]): Promise<void> {
  const body = { ...filterOf(role), owner: adminUser }
  // By its group, so a filter keeps its id (and its users' saved choice) when its name changes.
  const found = existing.find((f) => f.query?.candidateGroup === role.id) ?? existing.find((f) => f.name === role.name)
  const filterId = found ? found.id : (await rest.post<{ id: string }>('/filter/create', body)).id
  if (found) await rest.put(`/filter/${filterId}`, body)
  const authorizations = await rest.get<EngineAuthorization[]>(`/authorization?resourceType=${resource.filter}&resourceId=${filterId}&groupIdIn=${encodeURIComponent(role.id)}`)
  if (!authorizations.length) await rest.post('/authorization/create', { type: GRANT, groupId: role.id, resourceType: resource.filter, resourceId: filterId, permissions: ['READ'] })
}

/** Sets up every group, user, authorization and filter (see the module comment). Idempotent. */
export async function ensureIdentity(config: Config, rest: EngineRest = createEngineRest(config)): Promise<{ users: string[] }> {
  const admin = config.ENGINE_ADMIN_PASSWORD
  for (const role of roles) {
    await ensureGroup(rest, role.id, role.name, 'WORKFLOW')
    await ensureUser(rest, role.id, role.english, `(${role.chinese})`, config.STAFF_PASSWORD, admin)
    await ensureMember(rest, role.id, role.id)
  }
  await ensureGroup(rest, AUDITOR, `审计（只读） ${AUDITOR}`, 'WORKFLOW')
  await ensureUser(rest, AUDITOR, 'Auditor', '(审计)', config.STAFF_PASSWORD, admin)
  await ensureMember(rest, AUDITOR, AUDITOR)
  await ensureGroup(rest, SYSTEM_GROUP, `技术用户 ${SYSTEM_GROUP}`, 'SYSTEM')
  for (const [user, password, name] of [
    [config.ENGINE_WORKER_USER, config.ENGINE_WORKER_PASSWORD, 'Workers'],
    [config.ENGINE_API_USER, config.ENGINE_API_PASSWORD, 'HTTP API'],
  ]) {
    await ensureUser(rest, user, 'order-flow', name, password, admin)
    await ensureMember(rest, SYSTEM_GROUP, user)
  }
  const existing = await rest.get<EngineAuthorization[]>(`/authorization?type=${GRANT}&maxResults=10000`)
  for (const grant of grants()) await ensureGrant(rest, grant, existing)
  const filters = await rest.get<EngineFilter[]>('/filter?resourceType=Task')
  for (const role of roles) await ensureFilter(rest, role, config.ENGINE_ADMIN_USER, filters)
  return { users: [...roles.map((r) => r.id), AUDITOR, config.ENGINE_WORKER_USER, config.ENGINE_API_USER] }
}
