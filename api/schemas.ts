/** JSON schemas of the API's requests and answers (the OpenAPI document is generated from them). */
import { amountKeyword } from '../lib/money.ts'
import { orderStatuses } from '../lib/order-status.ts'
import { orderNumberPattern } from '../lib/schemas.ts'
import { shippingMethods } from '../workers/order-validate.ts'

const text = (maxLength: number, description?: string) => ({ type: 'string', minLength: 1, maxLength, ...(description ? { description } : {}) }) as const
const date = { type: 'string', format: 'date', description: 'Calendar date, YYYY-MM-DD.' } as const
const dateTime = { type: 'string', format: 'date-time' } as const
/** Any non-negative amount in yuan with at most two decimals (19.99, 0.07); 0.125 is refused (lib/money.ts). */
const amount = { type: 'number', minimum: 0, maximum: 99999999.99, [amountKeyword]: true, description: 'Amount in yuan, at most two decimals (e.g. 19.99).' } as const
const sku = { type: 'string', pattern: '^[A-Z0-9][A-Z0-9-]{0,39}$', description: 'Catalogue product code, e.g. PP-24C6.' } as const

export const orderNumberParams = {
  type: 'object',
  required: ['orderNumber'],
  additionalProperties: false,
  properties: { orderNumber: { type: 'string', pattern: orderNumberPattern, description: 'Order number, e.g. CO-2026-000123.' } },
} as const

const customer = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    customerNumber: { type: 'string', pattern: '^[A-Z]{2}-[0-9A-Za-z-]{1,30}$', description: 'Known customer number, e.g. CU-0001.' },
    name: text(200, 'Company or person, as written on the order.'),
    contactPerson: text(100),
    phone: { type: 'string', pattern: '^[0-9+() -]{5,30}$' },
    email: { type: 'string', format: 'email', maxLength: 200 },
    address: text(500),
  },
} as const

const contractLine = {
  type: 'object',
  required: ['productName', 'quantity'],
  additionalProperties: false,
  properties: {
    sku,
    productName: text(200),
    model: text(100, 'Model; a missing model sends the order to the sales assistant for correction (D1 第4条 3).'),
    quantity: { type: 'integer', minimum: 1, maximum: 1000000 },
  },
} as const

const shopLine = {
  type: 'object',
  required: ['sku', 'productName', 'quantity', 'unitPrice'],
  additionalProperties: false,
  properties: { sku, productName: text(200), model: text(100), quantity: { type: 'integer', minimum: 1, maximum: 10000 }, unitPrice: amount },
} as const

export const contractOrderSchema = {
  type: 'object',
  description: 'A shipping notice or stock order from the sales system (D1 第4条 1). Incomplete fields are allowed: the process sends the order back for correction (D1 第4条 3).',
  required: ['channel', 'customer', 'lines'],
  additionalProperties: false,
  properties: {
    channel: { const: 'contract' },
    priority: { enum: ['normal', 'urgent'], description: 'urgent: the urgent-order procedure (D7).' },
    customer,
    lines: { type: 'array', minItems: 1, maxItems: 200, items: contractLine },
    deliveryDate: date,
    deliveryAddress: text(500),
    shippingMethod: { enum: [...shippingMethods] },
    salesLeaderSignOff: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: text(100) } },
    shippedBefore: { type: 'boolean', description: 'The product was shipped before (regular order, D1 第5条 1).' },
    technicalFilesComplete: { type: 'boolean', description: 'Technical files are complete (regular order, D1 第5条 1).' },
  },
} as const

export const shopOrderSchema = {
  type: 'object',
  description: 'An online shop order (D4 一.1, D6 1); with payment it is paid (D4 一.3), without it waits for payment-received.',
  required: ['channel', 'customer', 'lines', 'deliveryAddress'],
  additionalProperties: false,
  properties: {
    channel: { const: 'shop' },
    customer,
    lines: { type: 'array', minItems: 1, maxItems: 100, items: shopLine },
    deliveryAddress: text(500),
    shippingMethod: { enum: [...shippingMethods] },
    deliveryDate: date,
    payment: { type: 'object', required: ['amount', 'paidAt'], additionalProperties: false, properties: { amount, paidAt: dateTime } },
  },
} as const

export const orderBody = {
  type: 'object',
  required: ['channel'],
  discriminator: { propertyName: 'channel' },
  oneOf: [contractOrderSchema, shopOrderSchema],
} as const

export const orderAccepted = {
  type: 'object',
  required: ['orderNumber', 'channel', 'processInstanceKey', 'status'],
  additionalProperties: false,
  properties: {
    orderNumber: { type: 'string' },
    channel: { enum: ['contract', 'shop'] },
    processInstanceKey: { type: 'string' },
    status: { type: 'string' },
  },
} as const

const step = {
  type: 'object',
  required: ['processInstanceKey', 'bpmnProcessId', 'elementId', 'elementType', 'since'],
  additionalProperties: false,
  properties: {
    processInstanceKey: { type: 'string' },
    bpmnProcessId: { type: ['string', 'null'] },
    elementId: { type: 'string' },
    elementName: { type: ['string', 'null'] },
    elementType: { type: 'string' },
    since: { type: ['string', 'null'] },
  },
} as const

const openTask = {
  type: 'object',
  required: ['userTaskKey', 'processInstanceKey', 'elementId', 'candidateGroups', 'dueDate', 'createdAt'],
  additionalProperties: false,
  properties: {
    userTaskKey: { type: 'string' },
    processInstanceKey: { type: 'string' },
    elementId: { type: 'string' },
    elementName: { type: ['string', 'null'] },
    candidateGroups: { type: 'array', items: { type: 'string' } },
    assignee: { type: ['string', 'null'] },
    dueDate: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
  },
} as const

const incident = {
  type: 'object',
  required: ['incidentKey', 'processInstanceKey', 'elementId', 'errorType', 'errorMessage', 'createdAt', 'state'],
  additionalProperties: false,
  properties: {
    incidentKey: { type: 'string' },
    processInstanceKey: { type: 'string' },
    elementId: { type: ['string', 'null'] },
    errorType: { type: ['string', 'null'] },
    errorMessage: { type: ['string', 'null'] },
    createdAt: { type: ['string', 'null'] },
    state: { type: ['string', 'null'] },
  },
} as const

const pendingEvent = {
  type: 'object',
  required: ['messageId', 'message', 'target', 'state', 'acceptedAt', 'expiresAt', 'attempts', 'lastError'],
  additionalProperties: false,
  properties: {
    messageId: { type: 'string' },
    message: { type: 'string', description: 'The message name, e.g. delivery-confirmed.' },
    target: { type: 'string', description: 'The process whose wait it is for, e.g. shipment.' },
    state: { enum: ['pending', 'expired'], description: 'pending: kept and retried until its wait opens; expired: its lifetime ended before any wait for it opened (never delivered).' },
    acceptedAt: { type: 'string' },
    expiresAt: { type: 'string' },
    attempts: { type: 'integer' },
    lastError: { type: ['string', 'null'], description: 'Why the last attempt did not deliver it.' },
  },
} as const

export const orderView = {
  type: 'object',
  required: ['orderNumber', 'channel', 'status', 'processInstanceKey', 'processState', 'engineAvailable', 'currentSteps', 'openUserTasks', 'incidents'],
  additionalProperties: false,
  properties: {
    orderNumber: { type: 'string' },
    channel: { type: 'string' },
    customerName: { type: ['string', 'null'] },
    priority: { type: 'string' },
    status: { enum: Object.keys(orderStatuses), description: 'Where the order stands in the order database (README "Order statuses"): written by the step that causes the change, never backwards.' },
    classification: { type: ['string', 'null'], description: 'regular or non-regular (contract orders, D1 第5条 1), once the quote or the decline recorded it; null for shop orders.' },
    reviewOutcome: { type: ['string', 'null'], description: 'accepted or declined (contract orders), once the review ended.' },
    processInstanceKey: { type: ['string', 'null'] },
    processState: { type: ['string', 'null'], description: 'ACTIVE, COMPLETED or CANCELED; null while the engine has not shown the instance yet.' },
    engineAvailable: { type: 'boolean', description: 'false when the engine could not be asked: the lists below are then empty.' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    currentSteps: { type: 'array', items: step },
    openUserTasks: { type: 'array', items: openTask },
    incidents: { type: 'array', items: incident },
    events: { type: 'array', items: pendingEvent, description: 'Events accepted for this order that have not reached their wait: pending or expired.' },
  },
} as const

/** The answer to an event posted into a running order. */
export const eventAccepted = {
  type: 'object',
  required: ['orderNumber', 'message', 'messageId', 'correlationKey'],
  additionalProperties: false,
  properties: {
    orderNumber: { type: 'string' },
    message: { type: 'string', description: 'Name of the message correlated to the waiting process.' },
    messageId: { type: 'string', description: 'The event id: a retried request keeps it, and the event is delivered once per wait.' },
    correlationKey: { type: 'string' },
    paymentId: { type: 'integer', description: 'The payments row, for payment-received.' },
  },
} as const

export const historyItem = {
  type: 'object',
  required: ['at', 'kind', 'source', 'processInstanceKey', 'bpmnProcessId', 'elementId', 'elementName', 'elementType', 'state', 'endedAt', 'actor', 'clause', 'procedure', 'outcome', 'details'],
  additionalProperties: false,
  properties: {
    at: { type: 'string', description: 'When the step started or the event was recorded (ISO 8601).' },
    kind: { enum: ['step', 'user-task', 'event', 'incident', 'sla-breach'] },
    source: { enum: ['engine', 'order_events', 'engine+order_events'] },
    processInstanceKey: { type: ['string', 'null'] },
    bpmnProcessId: { type: ['string', 'null'] },
    elementId: { type: ['string', 'null'] },
    elementName: { type: ['string', 'null'] },
    elementType: { type: ['string', 'null'] },
    state: { type: ['string', 'null'] },
    endedAt: { type: ['string', 'null'] },
    actor: { type: 'string', description: 'Who did it: a user, worker:<job type>, api:<caller> or engine.' },
    clause: { type: ['string', 'null'], description: 'Procedure clause the element implements, e.g. D1 第4条 2.' },
    procedure: { type: ['string', 'null'], description: 'The element documentation the clause comes from.' },
    outcome: { type: ['string', 'null'] },
    details: { type: 'object', additionalProperties: true, description: 'Submitted form data, step result, incident message.' },
  },
} as const

export const history = {
  type: 'object',
  required: ['orderNumber', 'generatedAt', 'processInstanceKeys', 'items'],
  additionalProperties: false,
  properties: {
    orderNumber: { type: 'string' },
    generatedAt: { type: 'string' },
    processInstanceKeys: { type: 'array', items: { type: 'string' } },
    items: { type: 'array', items: historyItem },
  },
} as const

export { amount, date, dateTime, sku, text }
