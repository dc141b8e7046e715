/**
 * customer-notify — tells the customer what happened, through the notification webhook: carrier
 * and tracking number the same day (D2 三.3(1), D3 6), the result of a return review (D3 退货 3),
 * the refund and the end of a return (D3 退货 8), a declined, cancelled or closed order
 * (D2 一.二 1, D9 1.1, D3 8), a question about missing information (D6 2), an exchange (D9 1.1)
 * and the invitation to review (D5 四.4).
 *
 * The template is the task's `notice` header (else its element id in kebab case); its payload is
 * the order number plus the fields that notice needs (see `payloadFor`; an unknown notice gets
 * the order, return or case number only). The recipient is the order's customer: `order.customer`
 * when the process carries it, else the customer of the stored order, with the customer number,
 * e-mail and phone of the `customers` row of that name when there is one.
 *
 * Reads:   one of order, shipment, returnRequest, serviceCase (for the order number), and the
 *          notice's fields: shipment, returnReview, refundDecision, refundAmount,
 *          orderConfirmation, exchange, declineApproval, stockChoice, orderPaid
 * Writes:  nothing (no element after it reads a result)
 * Errors:  none
 * Effects: one `notifications` row (key `<processInstanceKey>:<elementId>:<elementInstanceKey>`)
 *          and one `order_events` row (outcome notified) in one transaction, then the webhook
 *          call with that key; the row is marked sent. A send failure or refusal is thrown
 *          (retried; the same row is sent by the retry).
 */
import type { Recipient } from '../lib/clients/notifier.ts'
import { compact, notifyOnce, subjectOrderNumber, templateOf } from '../lib/notify.ts'
import { complete, type Handler, type JobContext, type WorkerDeps } from '../lib/worker.ts'

export const taskType = 'customer-notify'

const optionalObject = { type: ['object', 'null'] } as const
const subject = {
  type: ['object', 'null'],
  properties: { orderNumber: { type: 'string' } },
} as const

export const variablesSchema = {
  type: 'object',
  anyOf: [{ required: ['order'] }, { required: ['shipment'] }, { required: ['returnRequest'] }, { required: ['serviceCase'] }],
  properties: {
    order: subject,
    shipment: subject,
    returnRequest: { ...subject, properties: { orderNumber: { type: 'string' }, returnNumber: { type: 'string' } } },
    serviceCase: { ...subject, properties: { orderNumber: { type: 'string' }, caseNumber: { type: 'string' } } },
    returnReview: optionalObject,
    refundDecision: optionalObject,
    refundAmount: { type: ['number', 'string', 'null'] },
    orderConfirmation: optionalObject,
    exchange: optionalObject,
    declineApproval: optionalObject,
    stockChoice: optionalObject,
    orderPaid: { type: ['boolean', 'null'] },
  },
} as const

export const errorCodes = [] as const

type Fields = Record<string, unknown> | null | undefined

export interface CustomerNotifyVariables {
  order?: (Fields & { orderNumber?: string; customer?: { name?: string; phone?: string; email?: string; customerNumber?: string } }) | null
  shipment?: Fields
  returnRequest?: Fields
  serviceCase?: Fields
  returnReview?: Fields
  refundDecision?: Fields
  refundAmount?: number | string | null
  orderConfirmation?: Fields
  exchange?: Fields
  declineApproval?: Fields
  stockChoice?: Fields
  orderPaid?: boolean | null
}

/** The clause each known notice implements, for the history row. */
const clauses: Record<string, string> = {
  'shipment-dispatched': 'D2 三.3(1)',
  'return-review-result': 'D3 退货 3',
  'return-completed': 'D3 退货 8',
  'order-declined': 'D2 一.二 1',
  'order-cancelled': 'D3 8',
  'order-closed': 'D3 8',
  'order-information-needed': 'D6 2',
  'exchange-result': 'D9 1.1',
  'review-invitation': 'D5 四.4',
}

/**
 * What the customer is told for a notice, beyond the order, return and case numbers. Only what is
 * meant for the customer: no internal notes or names of staff.
 */
export function payloadFor(notice: string, v: CustomerNotifyVariables): Record<string, unknown> {
  const paid = v.order?.payment as { amount?: unknown } | undefined
  switch (notice) {
    case 'shipment-dispatched':
      return { carrier: v.shipment?.carrier, trackingNumber: v.shipment?.trackingNumber, expectedDeliveryDate: v.shipment?.expectedDeliveryDate }
    case 'return-review-result':
      return {
        decision: v.returnReview?.decision,
        returnMethod: v.returnReview?.returnMethod,
        rejectionReason: v.returnReview?.rejectionReason,
        infoRequested: v.returnReview?.infoRequested,
      }
    case 'return-completed':
      return { refund: v.refundDecision?.refund, refundAmount: v.refundAmount, returnShippingPaidBy: v.refundDecision?.shippingPaidBy }
    case 'order-declined':
      return { reason: v.declineApproval?.reason }
    case 'order-cancelled':
      return { refundAmount: v.orderPaid === true ? paid?.amount : undefined }
    case 'order-closed':
      return { reason: v.stockChoice?.choice === 'cancel' ? 'out-of-stock' : 'no-customer-reply', refundAmount: paid?.amount }
    case 'order-information-needed':
      return { question: v.orderConfirmation?.question }
    case 'exchange-result':
      return { decision: v.exchange?.decision, priceDifference: v.exchange?.priceDifference, lines: v.exchange?.newLines }
    default:
      return {}
  }
}

/** The variables that may carry the order number, in the order `subjectOrderNumber` reads them. */
const subjects = ['order', 'shipment', 'returnRequest', 'serviceCase'] as const

const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : undefined)

export function createHandler(deps: Pick<WorkerDeps, 'events' | 'notifications' | 'outside' | 'orders' | 'customers'>): Handler<CustomerNotifyVariables, never> {
  const { orders, customers } = deps

  /** The order's customer as the notifier addresses them, and the outbox recipient. */
  async function customerOf(orderNumber: string, order: CustomerNotifyVariables['order']) {
    let given = order?.customer
    if (!given) {
      const stored = await orders.find(orderNumber)
      given = (stored?.data?.customer as typeof given) ?? (stored?.customer_name ? { name: stored.customer_name } : undefined)
    }
    const name = text(given?.name)
    const known = name ? await customers.findByName(name) : undefined
    const to = compact({
      customerId: known?.customer_number ?? text(given?.customerNumber),
      name,
      email: text(given?.email) ?? known?.email ?? undefined,
      phone: text(given?.phone) ?? known?.phone ?? undefined,
    }) as Recipient
    return { to, recipient: `customer:${to.customerId ?? name ?? `of ${orderNumber}`}` }
  }

  return async (job: JobContext<CustomerNotifyVariables>) => {
    const v = job.variables
    const orderNumber = subjectOrderNumber(v as Record<string, unknown>)
    if (!orderNumber) {
      const given = subjects.filter((name) => v[name])
      const paths = (given.length ? given : subjects).map((name) => `${name}.orderNumber`).join(' or ')
      throw new Error(`${job.bpmnProcessId} ${job.elementId}: no order number (${paths} is missing); set it in Cockpit, then retry`)
    }
    const template = templateOf(job)
    const payload = compact({
      orderNumber,
      returnNumber: v.returnRequest?.returnNumber,
      caseNumber: v.serviceCase?.caseNumber,
      ...payloadFor(template, v),
    })
    const { to, recipient } = await customerOf(orderNumber, v.order)
    await notifyOnce(deps, job, {
      orderNumber,
      clause: job.customHeaders.clause ?? clauses[template] ?? null,
      messages: [{ recipient, to, template, payload }],
    })
    return complete()
  }
}
