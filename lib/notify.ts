/**
 * What the notification workers share (customer-notify, team-notify, review-notify,
 * escalation-notify): who may be told, the template a step sends, the outbox key of a step, and
 * `notifyOnce`, which queues the messages in `notifications` together with the step's
 * `order_events` row and then sends them through the notifier.
 *
 * Exactly once per step execution: the key is `<processInstanceKey>:<elementId>:<elementInstanceKey>`
 * (plus `:<role>` for each team of a team message), so a redelivered job finds the messages its first
 * delivery queued and sends nothing twice, while a loop that passes the same element again has a new
 * element instance and notifies again.
 */
import type { Recipient } from './clients/notifier.ts'
import type { Notification } from './repositories/notifications.ts'
import { stepKey, type JobContext, type WorkerDeps } from './worker.ts'

/**
 * The internal teams a message may go to: the roles of PROCESSES.md, plus the admin office
 * (行政部, D1 第5条 3), which receives documents but has no tasks.
 */
export const teams = {
  'sales-assistant': '销售内勤',
  'sales-manager': '销售部负责人',
  'logistics-clerk': '物流员',
  'workshop-supervisor': '车间主管',
  'engineering-supervisor': '工程主管',
  'production-manager': '生产部经理',
  'planning-group': '计划组',
  procurement: '采购部',
  quality: '品质部',
  warehouse: '仓库/成品库',
  'after-sales': '售后服务部',
  'customer-service': '客服',
  finance: '财务部',
  'general-manager': '总经理',
  'deputy-general-manager': '副总经理',
  admin: '行政部',
} as const

export type Team = keyof typeof teams

/** One message of a step, before it gets its outbox key. */
export interface Message {
  /** The outbox `recipient`: `customer:<customer number or name>` or `group:<role>`. */
  recipient: string
  /** Whom the notifier addresses. */
  to: Recipient
  template: string
  payload: Record<string, unknown>
}

/** What a notification step hands back and stores in its `order_events` row. */
export interface NotifyRecord {
  template: string
  recipients: string[]
  idempotencyKeys: string[]
}

export type NotifyDeps = Pick<WorkerDeps, 'events' | 'notifications' | 'outside'>

/** The outbox and notifier key of a step execution: one per element instance, whatever the redeliveries. */
export const notificationKey = (job: JobContext<unknown>) => `${job.processInstanceKey}:${job.elementId}:${job.elementInstanceKey}`

/** The template a step sends: its `notice` header, else its element id in kebab case (NOTIFY_SHIPPED → notify-shipped). */
export function templateOf(job: JobContext<unknown>): string {
  const notice = job.customHeaders.notice?.trim()
  return notice ? notice : job.elementId.toLowerCase().replaceAll('_', '-')
}

/**
 * The teams named by a comma-separated header value (`quality,warehouse`), in the order given.
 * @throws Error naming the element and header when it is empty or names an unknown team.
 */
export function teamsOf(job: JobContext<unknown>, header: string, value = job.customHeaders[header]): Team[] {
  const names = [...new Set((value ?? '').split(',').map((name) => name.trim()).filter(Boolean))]
  const where = `${job.bpmnProcessId} ${job.elementId}`
  if (names.length === 0) throw new Error(`${where} names no recipients: set its "${header}" task header to roles such as quality,warehouse`)
  const unknown = names.filter((name) => !(name in teams))
  if (unknown.length > 0) {
    throw new Error(`${where}: "${header}" names unknown teams ${unknown.join(', ')}; use roles of PROCESSES.md (${Object.keys(teams).join(', ')})`)
  }
  return names as Team[]
}

/** One message per team, each addressed to the team's role. */
export function teamMessages(roles: readonly Team[], template: string, payload: Record<string, unknown>): Message[] {
  return roles.map((role) => ({ recipient: `group:${role}`, to: { name: `${role} (${teams[role]})` }, template, payload }))
}

/**
 * The order number a step is about: the order, shipment, return request or service case carries it.
 * Undefined when none does.
 */
export function subjectOrderNumber(variables: Record<string, unknown>): string | undefined {
  for (const name of ['order', 'shipment', 'returnRequest', 'serviceCase']) {
    const subject = variables[name] as { orderNumber?: unknown } | null | undefined
    if (typeof subject?.orderNumber === 'string' && subject.orderNumber !== '') return subject.orderNumber
  }
  return undefined
}

/** An order as the processes carry it, seen by staff. */
export interface StaffOrder {
  orderNumber: string
  priority?: unknown
  customer?: { name?: unknown } | null
  lines?: unknown
  deliveryDate?: unknown
  shippingMethod?: unknown
  [field: string]: unknown
}

/** What every department message says about the order: number, customer, priority, dates and lines. */
export function orderSummary(order: StaffOrder): Record<string, unknown> {
  const lines = Array.isArray(order.lines)
    ? order.lines.map((line: Record<string, unknown> | null) => compact({ productName: line?.productName, model: line?.model, sku: line?.sku, quantity: line?.quantity }))
    : undefined
  return compact({
    orderNumber: order.orderNumber,
    customerName: order.customer?.name,
    priority: order.priority,
    deliveryDate: order.deliveryDate,
    shippingMethod: order.shippingMethod,
    lines,
  })
}

/** `value` without the null and undefined fields, so templates see only what is known. */
export function compact(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== null && field !== undefined))
}

/**
 * Queues `messages` and the step's history row in one transaction, then sends every message not
 * sent yet through the notifier with its outbox key and marks it sent. A redelivered job queues
 * nothing new and gets the stored record back; the messages its first delivery could not send are
 * sent now.
 * @throws Error when a message could not be sent (a technical fault or a refusal): the job is
 *   retried, the message stays in the outbox (pending; failed once the job has no retries left),
 *   and the retry sends that same message.
 */
export async function notifyOnce(
  { events, notifications, outside }: NotifyDeps,
  job: JobContext<unknown>,
  step: { orderNumber: string; clause?: string | null; outcome?: string; messages: Message[]; details?: Record<string, unknown> },
): Promise<NotifyRecord> {
  const base = notificationKey(job)
  const single = step.messages.length === 1
  const queued = step.messages.map((message): Notification & { to: Recipient } => ({
    order_number: step.orderNumber,
    recipient: message.recipient,
    channel: 'webhook',
    template: message.template,
    payload: message.payload,
    idempotency_key: single ? base : `${base}:${message.recipient.replace(/^group:/, '')}`,
    to: message.to,
  }))
  const record = await events.once(stepKey(job, step.orderNumber, step.clause ?? null), async (trx) => {
    for (const { to: _to, ...notification } of queued) await notifications.enqueue(notification, trx)
    return {
      outcome: step.outcome ?? 'notified',
      result: {
        ...step.details,
        template: [...new Set(queued.map((message) => message.template))].join(','),
        recipients: queued.map((message) => message.recipient),
        idempotencyKeys: queued.map((message) => message.idempotency_key),
      },
    }
  })

  const failures: string[] = []
  for (const { to, ...notification } of queued) {
    // The same key again returns the row the step queued: its stored template, payload and status.
    const { row } = await notifications.enqueue(notification)
    if (row.status === 'sent') continue
    let problem: string
    try {
      const answer = await outside.notifier.notify({ idempotencyKey: row.idempotency_key, recipient: to, template: row.template, payload: row.payload })
      if (answer.delivered) {
        await notifications.markSent(row.id)
        continue
      }
      problem = `refused ${row.template} to ${row.recipient}: ${answer.code} (${answer.reason}); correct the recipient's contact details`
    } catch (error) {
      problem = `${row.template} to ${row.recipient}: ${error instanceof Error ? error.message : String(error)}`
    }
    // The row gives up (failed) together with the job, when the job has no retries left.
    await notifications.markFailed(row.id, problem, row.attempts + job.retries)
    failures.push(problem)
  }
  if (failures.length > 0) {
    throw new Error(
      `could not send ${failures.length} of ${queued.length} notifications (they stay in the outbox and the retry sends them): ${failures.join('; ')}`,
    )
  }
  return record
}
