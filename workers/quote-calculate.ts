/**
 * quote-calculate — prices a contract order (D2 一.三): a regular order from the company price
 * list (D2 一.三 1, `products.list_price`), a non-regular one by the special-modification (异型更改)
 * surcharge standard (D2 一.三 2: list price plus the product's
 * `special_modification_surcharge_pct`). No classification counts as non-regular, as at the
 * diagram's *Regular order?* gateway. Each line names its product by SKU, or by model as
 * contract orders are written (product name + model).
 *
 * Reads:   order {orderNumber, lines [{sku?, productName, model, quantity}]},
 *          orderClassification {classification: "regular" | "non-regular"} (optional)
 * Writes:  quote {quoteNumber, basis: "price-list" | "special-modification", total (decimal
 *          string, e.g. "27200.00"), currency, lines [{lineNo, sku, productName, model, quantity,
 *          unitPrice, surchargePct, lineTotal}]} — the *Draft contract* form shows total,
 *          currency and basis
 * Errors:  none. A line whose product is not in the catalogue fails the job (incident): add the
 *          product to `products` or correct the order, then retry.
 * Effects: one `quotes` row per job (key: job key), order status `quoted` (with the
 *          classification priced by and review outcome accepted) and one
 *          `order_events` row, in one transaction; a redelivered job returns the stored quote.
 */
import type { Knex } from 'knex'
import type { ProductRepository, ProductRow } from '../lib/repositories/products.ts'
import type { QuoteLine, QuoteRow } from '../lib/repositories/quotes.ts'
import { fromCents, toCents } from '../lib/repositories/support.ts'
import { orderNumberPattern } from '../lib/schemas.ts'
import { complete, stepKey, type Handler, type WorkerDeps } from '../lib/worker.ts'

export const taskType = 'quote-calculate'

/** An order line as the processes carry it (contract: name + model; shop: SKU). */
export interface OrderLineInput {
  sku?: string | null
  productName?: string | null
  model?: string | null
  quantity: number
  [field: string]: unknown
}

/** The part of `order` the stock and pricing workers read. */
export interface OrderWithLines {
  orderNumber: string
  lines: OrderLineInput[]
  [field: string]: unknown
}

/** JSON schema of `order` shared by the workers that read its lines. */
export const orderWithLinesSchema = {
  type: 'object',
  required: ['orderNumber', 'lines'],
  properties: {
    orderNumber: { type: 'string', pattern: orderNumberPattern },
    lines: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['quantity'],
        properties: {
          sku: { type: ['string', 'null'] },
          productName: { type: ['string', 'null'] },
          model: { type: ['string', 'null'] },
          quantity: { type: 'integer', minimum: 1 },
        },
      },
    },
  },
} as const

export const variablesSchema = {
  type: 'object',
  required: ['order'],
  properties: {
    order: orderWithLinesSchema,
    orderClassification: {
      type: ['object', 'null'],
      properties: { classification: { type: ['string', 'null'] } },
    },
  },
} as const

export const errorCodes = [] as const

const filled = (value: unknown): value is string => typeof value === 'string' && value.trim() !== ''

/** How a line names its product, for messages: "SKU ODF-144" or "model ODF-144-FC". */
export const lineLabel = (line: OrderLineInput, index: number) =>
  `line ${index + 1} (${filled(line.sku) ? `SKU ${line.sku}` : filled(line.model) ? `model ${line.model}` : 'no SKU or model'})`

/** The catalogue product of an order line: by SKU when the line has one, else by model. */
export async function productOfLine(
  products: Pick<ProductRepository, 'find' | 'findByModel'>,
  line: OrderLineInput,
  trx?: Knex,
): Promise<ProductRow | undefined> {
  if (filled(line.sku)) return products.find(line.sku.trim(), trx)
  if (filled(line.model)) return products.findByModel(line.model.trim(), trx)
  return undefined
}

/** Unit price in cents: list price, plus the surcharge percent (two decimals) when given. */
export function unitPriceCents(listPrice: string, surchargePct: string | null): number {
  const list = toCents(listPrice)
  if (surchargePct === null) return list
  // percent as hundredths (15.00 % → 1500): list × (10000 + pct) / 10000, rounded half up.
  const pct = toCents(surchargePct)
  return Math.round((list * (10000 + pct)) / 10000)
}

export interface QuoteVariable {
  quoteNumber: string
  basis: QuoteRow['basis']
  total: string
  currency: string
  lines: Array<{
    lineNo: number
    sku: string | null
    productName: string | null
    model: string | null
    quantity: number
    unitPrice: string
    surchargePct: string
    lineTotal: string
  }>
}

export function createHandler({
  events,
  products,
  quotes,
  orders,
}: Pick<WorkerDeps, 'events' | 'products' | 'quotes' | 'orders'>): Handler<
  { order: OrderWithLines; orderClassification?: { classification?: string | null } | null },
  never
> {
  return async (job) => {
    const { order, orderClassification } = job.variables
    const regular = orderClassification?.classification === 'regular'
    const clause = regular ? 'D2 一.三 1' : 'D2 一.三 2'
    const quote = await events.once(stepKey(job, order.orderNumber, clause), async (trx) => {
      const lines: QuoteLine[] = []
      const shown: QuoteVariable['lines'] = []
      let total = 0
      for (const [index, line] of order.lines.entries()) {
        const product = await productOfLine(products, line, trx)
        if (!product) {
          throw new Error(
            `${lineLabel(line, index)} of order ${order.orderNumber} names no product in the catalogue: add it to products (with its list price) or correct the order line, then retry`,
          )
        }
        const surchargePct = regular ? '0.00' : fromCents(toCents(product.special_modification_surcharge_pct))
        const unit = unitPriceCents(product.list_price, regular ? null : surchargePct)
        const lineTotal = unit * line.quantity
        total += lineTotal
        lines.push({ line_no: index + 1, sku: product.sku, quantity: line.quantity, unit_price: fromCents(unit), surcharge_pct: surchargePct, line_total: fromCents(lineTotal) })
        shown.push({
          lineNo: index + 1,
          sku: product.sku,
          productName: filled(line.productName) ? line.productName : product.name,
          model: product.model,
          quantity: line.quantity,
          unitPrice: fromCents(unit),
          surchargePct,
          lineTotal: fromCents(lineTotal),
        })
      }
      const { row } = await quotes.insertOrGet(
        { order_number: order.orderNumber, basis: regular ? 'price-list' : 'special-modification', amount: fromCents(total), lines, job_key: job.key },
        trx,
      )
      // The quote follows the review that accepted the order (D2 一.二): its outcome and the class priced by are recorded with it.
      await orders.advance(order.orderNumber, 'quoted', { classification: regular ? 'regular' : 'non-regular', review_outcome: 'accepted' }, trx)
      const result: QuoteVariable = {
        quoteNumber: row.quote_number,
        basis: row.basis,
        total: fromCents(toCents(row.amount)),
        currency: row.currency,
        lines: shown,
      }
      return { outcome: row.basis, result }
    })
    return complete({ quote })
  }
}
