/**
 * order-validate — completeness and correctness check of an incoming contract order
 * (D1 第4条 2: product name, model, quantity, delivery date, shipping method, sales-leader
 * sign-off). An incomplete order is a normal outcome, not an error: the diagram routes it to
 * the sales assistant's *Correct order* task (D1 第4条 3) and back here.
 *
 * That task's form edits `orderCorrection`, a copy of the order, not `order` itself: Tasklist
 * replaces a whole variable with the form's fields, which would drop what the form does not
 * show (delivery address, customer phone, each line's SKU, ...). Back here, the correction is
 * merged into the order (see applyCorrection) before the check.
 *
 * Reads:   order (see variablesSchema), orderCorrection (optional, the form's fields of the order)
 * Writes:  orderComplete (boolean), orderProblems (string[], in the staff's words); after a
 *          correction also order (the merged order) and orderCorrection = null (consumed)
 * Errors:  none
 * Effects: upserts the `orders` row (status validated | incomplete, the checked order) and one
 *          `order_events` row per job, in one transaction; a redelivered job returns the stored
 *          result (the merged order included).
 */
import { orderNumberPattern } from '../lib/schemas.ts'
import { complete, stepKey, type Handler, type WorkerDeps } from '../lib/worker.ts'

export const taskType = 'order-validate'

/** Shipping methods the logistics clerk can arrange. */
export const shippingMethods = ['road', 'rail', 'sea', 'air', 'express', 'customer-pickup'] as const

export const variablesSchema = {
  type: 'object',
  required: ['order'],
  properties: {
    order: {
      type: 'object',
      required: ['orderNumber'],
      properties: {
        orderNumber: { type: 'string', pattern: orderNumberPattern },
      },
    },
    orderCorrection: { type: ['object', 'null'] },
  },
} as const

export const errorCodes = [] as const

interface OrderLine {
  productName?: unknown
  model?: unknown
  quantity?: unknown
}

export interface ContractOrder {
  orderNumber: string
  priority?: unknown
  customer?: { name?: unknown; [field: string]: unknown }
  lines?: unknown
  deliveryDate?: unknown
  shippingMethod?: unknown
  salesLeaderSignOff?: { name?: unknown }
  [field: string]: unknown
}

const filled = (value: unknown) => typeof value === 'string' && value.trim() !== ''
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** `patch` over `base`: objects key by key, anything else (a value, a list) replaced. */
function mergeValue(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch
  const merged: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(patch)) merged[key] = mergeValue(base[key], value)
  return merged
}

/**
 * The order with the sales assistant's correction applied: objects key by key, so fields the form
 * does not show are kept; `lines` index by index, each line keeping its own hidden fields (SKU).
 * The form shows a fixed number of line slots and cannot remove a line: an empty slot of the
 * correction (null, or no field filled) changes nothing, lines the correction does not reach are kept, and a correction
 * line past the order's last one is added. The order number is the order's, whatever the form sent.
 */
export function applyCorrection(order: ContractOrder, correction: Record<string, unknown>): ContractOrder {
  const { lines: correctedLines, ...fields } = correction
  const merged = mergeValue(order, fields) as ContractOrder
  if (Array.isArray(correctedLines)) {
    const lines: unknown[] = Array.isArray(order.lines) ? [...order.lines] : []
    correctedLines.forEach((line, index) => {
      if (isPlainObject(line) && Object.values(line).some((value) => value !== null && value !== '')) lines[index] = mergeValue(lines[index], line)
    })
    merged.lines = lines.filter((line) => line !== undefined)
  }
  return { ...merged, orderNumber: order.orderNumber }
}

function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false
  const date = new Date(`${value}T00:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value)
}

/**
 * The problems of an order, each naming the field in the staff's words; empty when the order
 * is complete and correct. `today` is YYYY-MM-DD.
 */
export function orderProblems(order: ContractOrder, today: string): string[] {
  const problems: string[] = []
  if (!filled(order.customer?.name)) problems.push('Customer name is missing')
  if (order.priority !== undefined && order.priority !== 'normal' && order.priority !== 'urgent') {
    problems.push('Priority must be normal or urgent')
  }
  if (!Array.isArray(order.lines) || order.lines.length === 0) {
    problems.push('The order has no lines (product, model, quantity)')
  } else {
    order.lines.forEach((raw: unknown, index) => {
      const line = (raw ?? {}) as OrderLine
      const at = `Line ${index + 1}`
      if (!filled(line.productName)) problems.push(`${at}: product name is missing`)
      if (!filled(line.model)) problems.push(`${at}: model is missing`)
      if (line.quantity === undefined || line.quantity === null) problems.push(`${at}: quantity is missing`)
      else if (!Number.isInteger(line.quantity) || (line.quantity as number) < 1) {
        problems.push(`${at}: quantity must be a whole number of at least 1`)
      }
    })
  }
  if (order.deliveryDate === undefined || order.deliveryDate === null || order.deliveryDate === '') problems.push('Delivery date is missing')
  else if (!isCalendarDate(order.deliveryDate)) problems.push('Delivery date must be a date (YYYY-MM-DD)')
  else if (order.deliveryDate < today) problems.push(`Delivery date ${order.deliveryDate} is in the past`)
  if (!filled(order.shippingMethod)) problems.push('Shipping method is missing')
  else if (!shippingMethods.includes(order.shippingMethod as (typeof shippingMethods)[number])) {
    problems.push(`Shipping method must be one of ${shippingMethods.join(', ')}`)
  }
  if (!filled(order.salesLeaderSignOff?.name)) problems.push('Sales leader sign-off is missing')
  return problems
}

export function createHandler(
  { orders, events }: Pick<WorkerDeps, 'orders' | 'events'>,
  today = () => new Date().toISOString().slice(0, 10),
): Handler<{ order: ContractOrder; orderCorrection?: Record<string, unknown> | null }, never> {
  return async (job) => {
    const { orderCorrection } = job.variables
    const order = orderCorrection ? applyCorrection(job.variables.order, orderCorrection) : job.variables.order
    const result = await events.once(stepKey(job, order.orderNumber, 'D1 第4条 2'), async (trx) => {
      const problems = orderProblems(order, today())
      const orderComplete = problems.length === 0
      await orders.upsert(
        {
          order_number: order.orderNumber,
          channel: 'contract',
          customer_name: filled(order.customer?.name) ? String(order.customer?.name) : null,
          priority: order.priority === 'urgent' ? 'urgent' : 'normal',
          status: orderComplete ? 'validated' : 'incomplete',
          data: order,
          process_instance_key: job.processInstanceKey,
        },
        trx,
      )
      return {
        outcome: orderComplete ? 'complete' : 'incomplete',
        result: {
          ...(orderCorrection ? { order, orderCorrection: null } : {}),
          orderComplete,
          orderProblems: problems,
        },
      }
    })
    return complete(result)
  }
}
