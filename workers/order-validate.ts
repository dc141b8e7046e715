/**
 * order-validate — completeness and correctness check of an incoming contract order
 * (D1 第4条 2: product name, model, quantity, delivery date, shipping method, sales-leader
 * sign-off). An incomplete order is a normal outcome, not an error: the diagram routes it to
 * the sales assistant's *Correct order* task (D1 第4条 3) and back here.
 *
 * Reads:   order (see variablesSchema)
 * Writes:  orderComplete (boolean), orderProblems (string[], in the staff's words)
 * Errors:  none
 * Effects: upserts the `orders` row (status validated | incomplete) and one `order_events`
 *          row per job, in one transaction; a redelivered job returns the stored result.
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
  customer?: { name?: unknown }
  lines?: unknown
  deliveryDate?: unknown
  shippingMethod?: unknown
  salesLeaderSignOff?: { name?: unknown }
  [field: string]: unknown
}

const filled = (value: unknown) => typeof value === 'string' && value.trim() !== ''

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
  if (order.deliveryDate === undefined || order.deliveryDate === '') problems.push('Delivery date is missing')
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
): Handler<{ order: ContractOrder }, never> {
  return async (job) => {
    const { order } = job.variables
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
        result: { orderComplete, orderProblems: problems },
      }
    })
    return complete(result)
  }
}
