/**
 * Shared by the integration tests: configuration, the engine's REST API (Operaton, as the
 * administrator), the order database, the real workers, and waiting on a condition with a reason.
 *
 * Every instance a test starts has the order number as its business key and as a flat
 * `orderNumber` variable, as the API starts them. Element states come from the engine's
 * relational history (`/history/activity-instance`), which is written in the same transaction as
 * the runtime state: no importer to wait for.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Knex } from 'knex'
import type { Test } from 'uvu'
import { loadConfig } from '../lib/config.ts'
import { createDb } from '../lib/db.ts'
import { enginePaths, engineReady, logTail } from '../lib/engine.ts'
import { createEngineRest, EngineRestError, fromEngineVariables, toEngineVariables, type EngineVariables } from '../lib/engine-rest.ts'
import { ensureIdentity } from '../lib/identity.ts'
import { workerDeps } from '../lib/system.ts'
import { isOptimisticLockingConflict, loadWorkerModules, startWorkers, type RunningWorkers } from '../lib/worker-runtime.ts'

export const config = loadConfig()
/** The engine's REST API as the administrator (ENGINE_ADMIN_USER). */
export const rest = createEngineRest(config)

export function openClients() {
  return { rest, db: createDb(config.DATABASE_URL) }
}

/** A fresh order number, so tests never see each other's orders. */
export function uniqueOrderNumber(prefix = 'CO'): string {
  return `${prefix}-2026-${String(Date.now()).slice(-7)}${Math.floor(Math.random() * 90 + 10)}`
}

/**
 * Polls `probe` until it returns a value other than undefined/false. On time-out it says what it
 * waited for; when the engine died meanwhile, it says so with the tail of the engine log.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      const value = await probe()
      if (value !== undefined && value !== false) return value
    } catch (error) {
      lastError = error
    }
    await sleep(250)
  }
  if (!(await engineReady(config))) {
    throw new Error(`the engine is down while waiting for ${what}. Last lines of its log:\n${await logTail(enginePaths(config).log, 40)}`)
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`)
}

/** One element instance of a process instance, from the engine's history. */
export interface FlowNodeInstance {
  flowNodeId: string
  /** ACTIVE, COMPLETED, or TERMINATED (cancelled: an interrupting event, a cancelled instance). */
  state: 'ACTIVE' | 'COMPLETED' | 'TERMINATED'
  /** The engine's activity type: userTask, serviceTask, noneEndEvent, callActivity, boundaryTimer, ... */
  type: string
  /** The instance a call activity started. */
  calledProcessInstanceId: string | null
}

/** An open (or completed) user task of an element. */
export interface UserTask {
  /** The task id. */
  key: string
  state: 'CREATED' | 'COMPLETED'
  elementId: string
  processInstanceId: string
  candidateGroup: string[]
  /** The linked Camunda form (camunda:formRef), when the task has one. */
  formKey?: string
  /** Due and follow-up dates as the task carries them (ISO strings). */
  due: string | null
  followUp: string | null
}

interface HistoricActivityInstance {
  activityId: string
  activityType: string
  endTime: string | null
  canceled: boolean
  calledProcessInstanceId: string | null
}

interface RuntimeTask {
  id: string
  taskDefinitionKey: string
  processInstanceId: string
  due: string | null
  followUp: string | null
  operatonFormRef?: { key: string } | null
  formKey?: string | null
}

interface HistoricTask {
  id: string
  taskDefinitionKey: string
  processInstanceId: string
  due: string | null
  followUp: string | null
  endTime: string | null
}

export interface HistoricProcessInstance {
  id: string
  businessKey: string | null
  processDefinitionKey: string
  superProcessInstanceId: string | null
  /** ACTIVE, SUSPENDED, COMPLETED, EXTERNALLY_TERMINATED, INTERNALLY_TERMINATED */
  state: string
}

export interface Incident {
  id: string
  activityId: string
  incidentType: string
  incidentMessage: string | null
  processInstanceId: string
}

export interface TimerJob {
  id: string
  /** The element the timer belongs to (from its job definition). */
  activityId: string
  dueDate: string
  retries: number
  exceptionMessage: string | null
}

const q = (params: Record<string, string | number | boolean | undefined>) =>
  new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)])).toString()

/** The candidate groups of an open task. */
async function candidateGroups(taskId: string): Promise<string[]> {
  const links = await rest.get<{ type: string; groupId: string | null }[]>(`/task/${taskId}/identity-links?type=candidate`)
  return links.map((l) => l.groupId).filter((g): g is string => !!g).sort()
}

/** Engine searches: element instances, instance states and user tasks. */
export const search = {
  /** ACTIVE, COMPLETED or CANCELED (terminated, externally or by a terminate end event); undefined when unknown. */
  processInstanceState: async (id: string): Promise<string | undefined> => {
    const [instance] = await rest.get<HistoricProcessInstance[]>(`/history/process-instance?${q({ processInstanceId: id })}`)
    if (!instance) return undefined
    return /TERMINATED/.test(instance.state) ? 'CANCELED' : instance.state
  },
  /** Every element instance of the instance, in the order they were entered. */
  flowNodes: async (processInstanceId: string): Promise<FlowNodeInstance[]> =>
    (
      await rest.get<HistoricActivityInstance[]>(
        `/history/activity-instance?${q({ processInstanceId, sortBy: 'occurrence', sortOrder: 'asc', maxResults: 1000 })}`,
      )
    ).map((a) => ({
      flowNodeId: a.activityId,
      state: a.endTime === null ? 'ACTIVE' : a.canceled ? 'TERMINATED' : 'COMPLETED',
      type: a.activityType,
      calledProcessInstanceId: a.calledProcessInstanceId,
    })),
  /** The user tasks of element `elementId` in the instance: open ones (CREATED) or completed ones, oldest first. */
  userTasks: async (processInstanceId: string, elementId: string, state: 'CREATED' | 'COMPLETED' = 'CREATED'): Promise<UserTask[]> => {
    if (state === 'CREATED') {
      const tasks = await rest.get<RuntimeTask[]>(`/task?${q({ processInstanceId, taskDefinitionKey: elementId, sortBy: 'created', sortOrder: 'asc' })}`)
      return Promise.all(
        tasks.map(async (t) => ({
          key: t.id,
          state: 'CREATED' as const,
          elementId: t.taskDefinitionKey,
          processInstanceId: t.processInstanceId,
          candidateGroup: await candidateGroups(t.id),
          formKey: t.operatonFormRef?.key ?? t.formKey ?? undefined,
          due: t.due,
          followUp: t.followUp,
        })),
      )
    }
    const done = await rest.get<HistoricTask[]>(
      `/history/task?${q({ processInstanceId, taskDefinitionKey: elementId, finished: true, sortBy: 'startTime', sortOrder: 'asc' })}`,
    )
    return done.map((t) => ({
      key: t.id, state: 'COMPLETED' as const, elementId: t.taskDefinitionKey, processInstanceId: t.processInstanceId,
      candidateGroup: [], due: t.due, followUp: t.followUp,
    }))
  },
  /** The open user tasks of element `elementId` of an order, in whichever instance (also called sub-processes). */
  userTasksOfOrder: async (orderNumber: string, elementId: string): Promise<UserTask[]> => {
    const tasks = await rest.get<RuntimeTask[]>(`/task?${q({ processInstanceBusinessKey: orderNumber, taskDefinitionKey: elementId })}`)
    return Promise.all(tasks.map(async (t) => (await search.userTasks(t.processInstanceId, elementId)).find((u) => u.key === t.id)!))
  },
  /** The instances started by call activities of `parentId` (running or ended). */
  children: (parentId: string) => rest.get<HistoricProcessInstance[]>(`/history/process-instance?${q({ superProcessInstanceId: parentId })}`),
  /** The open incidents of the instance. */
  incidents: (processInstanceId: string) => rest.get<Incident[]>(`/incident?${q({ processInstanceId })}`),
  /** The instance's variables (its own scope) as plain JSON. */
  variables: async (processInstanceId: string) =>
    fromEngineVariables(await rest.get<EngineVariables>(`/process-instance/${processInstanceId}/variables?deserializeValues=false`)),
  /** The timer jobs of the instance, each with the element it belongs to. */
  timerJobs: async (processInstanceId: string): Promise<TimerJob[]> => {
    const jobs = await rest.get<(Omit<TimerJob, 'activityId'> & { jobDefinitionId: string })[]>(`/job?${q({ processInstanceId, timers: true })}`)
    return Promise.all(
      jobs.map(async (job) => ({
        id: job.id, dueDate: job.dueDate, retries: job.retries, exceptionMessage: job.exceptionMessage,
        activityId: (await rest.get<{ activityId: string }>(`/job-definition/${job.jobDefinitionId}`)).activityId,
      })),
    )
  },
}

/** Waits for an open user task of `elementId` in the instance and returns the first (oldest) one. */
export async function waitUserTask(processInstanceId: string, elementId: string): Promise<UserTask> {
  const [task] = await eventually(`user task ${elementId} in instance ${processInstanceId}`, async () => {
    const tasks = await search.userTasks(processInstanceId, elementId)
    return tasks.length > 0 && tasks
  })
  return task
}

/**
 * Completes a user task as a form submits it: objects and arrays as Json variables. When a
 * concurrent branch of the same instance (a worker's completion, a timer) changed it first, the
 * engine rolls the completion back with an optimistic-locking conflict and the user submits
 * again, as in Tasklist; any other refusal fails the test.
 */
export async function completeUserTask(task: Pick<UserTask, 'key'>, variables: Record<string, unknown>): Promise<void> {
  const body = { variables: toEngineVariables(JSON.parse(JSON.stringify(variables))) }
  for (let attempt = 1; ; attempt++) {
    try {
      await rest.post(`/task/${task.key}/complete`, body)
      return
    } catch (error) {
      if (attempt >= 5 || !(error instanceof EngineRestError && isOptimisticLockingConflict(error))) throw error
      await sleep(100 * attempt)
    }
  }
}

/** The instance of process `processKey` a call activity of `parentId` started (waits for it). */
export function calledInstance(parentId: string, processKey: string): Promise<string> {
  return eventually(`the ${processKey} instance called by ${parentId}`, async () => {
    const found = (await search.children(parentId)).find((i) => i.processDefinitionKey === processKey)
    return found?.id
  })
}

/** Waits for the timer of element `activityId` in the instance and returns its job. */
export function timerJob(processInstanceId: string, activityId: string): Promise<TimerJob> {
  return eventually(`the timer ${activityId} of instance ${processInstanceId}`, async () =>
    (await search.timerJobs(processInstanceId)).find((job) => job.activityId === activityId),
  )
}

/** Fires a timer now, whatever its due date (the engine has no clock control over REST). */
export async function fireTimer(job: Pick<TimerJob, 'id'>): Promise<void> {
  await rest.post(`/job/${job.id}/execute`)
}

const notWaiting = (error: unknown) =>
  error instanceof EngineRestError && error.status === 400 && /No process definition or execution matches/i.test(error.engineMessage)

/**
 * Correlates message `name` to the order's instance waiting for it (business key = order number,
 * plus `correlationKeys` — process variables that must match). The engine keeps no message for
 * later: until an instance waits (for at most `timeoutMs`), the correlation is tried again, as the
 * API's outbox relay does. `all` delivers to every waiting execution (e.g. delivery-confirmed).
 * `correlationKeys` match process-instance variables, `localCorrelationKeys` the waiting element's own.
 */
export async function correlate(
  name: string,
  orderNumber: string,
  options: {
    variables?: Record<string, unknown>
    correlationKeys?: Record<string, unknown>
    /** Variables local to the waiting element (e.g. one wait per purchase request). */
    localCorrelationKeys?: Record<string, unknown>
    all?: boolean
    timeoutMs?: number
  } = {},
): Promise<void> {
  const body = {
    messageName: name,
    businessKey: orderNumber,
    ...(options.correlationKeys ? { correlationKeys: toEngineVariables(options.correlationKeys) } : {}),
    ...(options.localCorrelationKeys ? { localCorrelationKeys: toEngineVariables(options.localCorrelationKeys) } : {}),
    processVariables: toEngineVariables(JSON.parse(JSON.stringify(options.variables ?? {}))),
    all: options.all ?? false,
  }
  await eventually(
    `an instance of order ${orderNumber} waiting for message ${name}`,
    async () => {
      try {
        await rest.post('/message', body)
        return true
      } catch (error) {
        if (notWaiting(error)) return false
        throw error
      }
    },
    options.timeoutMs ?? 30000,
  ).catch((error) => {
    throw new Error(`message ${name} for order ${orderNumber} could not be correlated: ${(error as Error).message}`)
  })
}

/**
 * Deploys BPMN/DMN/form resources given as text in one deployment. Duplicate filtering is on (a
 * second run of the same test reuses the definitions) but never per resource: when one changed,
 * all are deployed again together, since `decisionRefBinding`/`formRefBinding="deployment"` look
 * in the caller's own deployment. Returns the deployment id.
 */
export async function deployResources(name: string, resources: Record<string, string>, { duplicateFiltering = true } = {}): Promise<string> {
  const form = new FormData()
  form.set('deployment-name', name)
  form.set('enable-duplicate-filtering', String(duplicateFiltering))
  for (const [file, text] of Object.entries(resources)) form.set(file, new Blob([text]), file)
  return (await rest.post<{ id: string }>('/deployment/create', form)).id
}

/** What `oneTaskProcess` draws around its external task. */
export interface OneTaskProcessOptions {
  /** The external task's topic (default: the process id). */
  topic?: string
  /** The task's element id (default `TASK`). */
  taskId?: string
  /** The task's name, as Cockpit shows it. */
  name?: string
  /** XML inside the task's extensionElements (properties, an output mapping). */
  extensions?: string
  /** When set, an error boundary event on the task (id `REJECTED`) leads to the end event `ERROR_END`. */
  errorCode?: string
  /** A user task for these candidate groups instead of the external task. */
  candidateGroups?: string
  historyTimeToLive?: number
}

/**
 * A drawn test process of one task: START → TASK (external, on `topic`; or a user task) → END, with
 * an optional error boundary → ERROR_END. The worker runtime, reliability and browser tests share it.
 */
export function oneTaskProcess(id: string, { topic = id, taskId = 'TASK', name = `${topic} (test topic)`, extensions = '', errorCode, candidateGroups, historyTimeToLive = 180 }: OneTaskProcessOptions = {}): string {
  const task = candidateGroups ? { element: 'bpmn:userTask', attributes: `camunda:candidateGroups="${candidateGroups}"` } : { element: 'bpmn:serviceTask', attributes: `camunda:type="external" camunda:topic="${topic}"` }
  const boundary = errorCode
    ? `
    <bpmn:boundaryEvent id="REJECTED" attachedToRef="${taskId}"><bpmn:outgoing>Flow_rejected</bpmn:outgoing><bpmn:errorEventDefinition errorRef="Error_${errorCode}" /></bpmn:boundaryEvent>
    <bpmn:endEvent id="ERROR_END"><bpmn:incoming>Flow_rejected</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_rejected" sourceRef="REJECTED" targetRef="ERROR_END" />`
    : ''
  const boundaryDi = errorCode
    ? `
      <bpmndi:BPMNShape id="REJECTED_di" bpmnElement="REJECTED"><dc:Bounds x="272" y="142" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="ERROR_END_di" bpmnElement="ERROR_END"><dc:Bounds x="392" y="212" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_rejected_di" bpmnElement="Flow_rejected"><di:waypoint x="290" y="178" /><di:waypoint x="290" y="230" /><di:waypoint x="392" y="230" /></bpmndi:BPMNEdge>`
    : ''
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="${id}-definitions" targetNamespace="http://order-flow.local/test">${errorCode ? `
  <bpmn:error id="Error_${errorCode}" name="${errorCode}" errorCode="${errorCode}" />` : ''}
  <bpmn:process id="${id}" name="Test: ${name}" isExecutable="true" camunda:historyTimeToLive="${historyTimeToLive}">
    <bpmn:startEvent id="START"><bpmn:outgoing>Flow_start</bpmn:outgoing></bpmn:startEvent>
    <${task.element} id="${taskId}" name="${name}" ${task.attributes}>${extensions ? `
      <bpmn:extensionElements>${extensions}</bpmn:extensionElements>` : ''}
      <bpmn:incoming>Flow_start</bpmn:incoming><bpmn:outgoing>Flow_end</bpmn:outgoing>
    </${task.element}>
    <bpmn:endEvent id="END"><bpmn:incoming>Flow_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_start" sourceRef="START" targetRef="${taskId}" />
    <bpmn:sequenceFlow id="Flow_end" sourceRef="${taskId}" targetRef="END" />${boundary}
  </bpmn:process>
  <bpmndi:BPMNDiagram id="${id}-diagram">
    <bpmndi:BPMNPlane id="${id}-plane" bpmnElement="${id}">
      <bpmndi:BPMNShape id="START_di" bpmnElement="START"><dc:Bounds x="152" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="${taskId}_di" bpmnElement="${taskId}"><dc:Bounds x="240" y="80" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="END_di" bpmnElement="END"><dc:Bounds x="392" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_start_di" bpmnElement="Flow_start"><di:waypoint x="188" y="120" /><di:waypoint x="240" y="120" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_end_di" bpmnElement="Flow_end"><di:waypoint x="340" y="120" /><di:waypoint x="392" y="120" /></bpmndi:BPMNEdge>${boundaryDi}
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`
}

/** Starts process `processKey` for an order: business key and flat variable `orderNumber` = the order number. */
export async function startInstance(processKey: string, orderNumber: string, variables: Record<string, unknown>): Promise<string> {
  const instance = await rest.post<{ id: string }>(`/process-definition/key/${encodeURIComponent(processKey)}/start`, {
    businessKey: orderNumber,
    variables: toEngineVariables(JSON.parse(JSON.stringify({ ...variables, orderNumber }))),
  })
  return instance.id
}

/** Deletes an instance still running (test clean-up); an ended one is left alone. */
export async function cancelInstance(id: string): Promise<void> {
  await rest.delete(`/process-instance/${id}?skipCustomListeners=true&skipIoMappings=true`).catch((error) => {
    if (!(error instanceof EngineRestError && error.status === 404)) throw error
  })
}

/**
 * A suite that drives real instances: the database, every worker running in-process for the
 * suite (as the worker user), `start` for new instances, and the clean-up of whatever the suite
 * started (cancelled if still running) and opened.
 */
/** An order as a test hands it to a process (the `order` variable). */
export interface TestOrder {
  orderNumber: string
  channel?: string
  priority?: string
  customer?: { name?: string }
  payment?: { amount: number; paidAt: string }
}

/**
 * What POST /orders records before it starts the process: the `orders` row (status received) and,
 * for a paid shop order, its `payments` row. Tests that start a process themselves call it so the
 * order's steps find what they find behind the API.
 */
export async function recordOrder(db: Knex, order: TestOrder): Promise<void> {
  await db('orders').insert({
    order_number: order.orderNumber, channel: order.channel === 'shop' ? 'shop' : 'contract', customer_name: order.customer?.name ?? null,
    priority: order.priority === 'urgent' ? 'urgent' : 'normal', status: 'received', data: JSON.stringify(order),
  })
  if (order.channel === 'shop' && order.payment) {
    await db('payments').insert({ order_number: order.orderNumber, kind: 'full', amount: order.payment.amount, received_at: order.payment.paidAt, message_id: `order-placed:${order.orderNumber}` })
  }
}

/** The order's status and classification in the order database. */
export async function orderState(db: Knex, orderNumber: string): Promise<{ status: string; classification: string | null; reviewOutcome: string | null }> {
  const row = await db('orders').where({ order_number: orderNumber }).first('status', 'classification', 'review_outcome')
  return { status: row?.status, classification: row?.classification ?? null, reviewOutcome: row?.review_outcome ?? null }
}

export function withWorkers(suite: Test) {
  const db = createDb(config.DATABASE_URL)
  const started: string[] = []
  let workers: RunningWorkers | undefined
  suite.before(async () => {
    try {
      await ensureIdentity(config)
      workers = await startWorkers({ config, deps: workerDeps(config, db), modules: await loadWorkerModules() })
    } catch (error) {
      // uvu reports a failed hook only as tests not run: say why.
      console.error('withWorkers: could not set up the suite:', error)
      throw error
    }
  })
  suite.after(async () => {
    for (const id of started) await cancelInstance(id).catch(() => undefined)
    await workers?.stop(10000)
    await db.destroy()
  })
  return {
    db,
    rest,
    /** Starts an instance for `orderNumber` (business key and flat variable) and returns its id. */
    async start(processKey: string, orderNumber: string, variables: Record<string, unknown>): Promise<string> {
      const id = await startInstance(processKey, orderNumber, variables)
      started.push(id)
      return id
    },
  }
}
