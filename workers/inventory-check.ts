/**
 * inventory-check — checks finished-goods stock against the order lines and reserves what is
 * there (D10 5D/6D: stock satisfying the order in full goes straight to shipping, anything else
 * to production; D4 一.2 compare quantities with stock; D8 二 check stock and reserve it).
 * Used by contract-order and shop-order.
 *
 * Reservations belong to the order, one per SKU (`stock_reservations`), so a re-check — after
 * waiting for restock, choosing a substitute or an exchange — finds the stock the order already
 * holds. When the order's lines changed (a SKU dropped or a quantity changed) its reservations are
 * given back and taken afresh in the same transaction. A short SKU keeps what is there reserved,
 * so the shortage list stays true while the customer decides or production runs. A line whose
 * product is not in the catalogue (a new design) is short in full.
 *
 * Reads:   order {orderNumber, channel?, customer?, lines [{sku?, productName, model, quantity}]}
 * Writes:  stockSufficient (boolean: every line covered and reserved),
 *          stockShortages [{sku, productName, model, ordered, reserved, quantity (short),
 *          material}] — one entry per short product; `material`, `model` and `quantity` are the
 *          fields of a production plan shortage line (D10 10D), so the list can prefill it
 * Errors:  none
 * Effects: reserves stock (`stock_reservations`), sets the order status `stock-reserved` or
 *          `stock-short` (creating the `orders` row of a shop order that has none yet) and
 *          writes one `order_events` row, in one transaction; a redelivered job returns the
 *          stored result.
 */
import type { Knex } from 'knex'
import type { ProductRow } from '../lib/repositories/products.ts'
import { complete, stepKey, type Handler, type WorkerDeps } from '../lib/worker.ts'
import { orderWithLinesSchema, productOfLine, type OrderWithLines } from './quote-calculate.ts'

export const taskType = 'inventory-check'

export const variablesSchema = {
  type: 'object',
  required: ['order'],
  properties: { order: orderWithLinesSchema },
} as const

export const errorCodes = [] as const

export interface StockShortage {
  sku: string | null
  productName: string | null
  model: string | null
  /** Units the order asks for. */
  ordered: number
  /** Units reserved for the order. */
  reserved: number
  /** Units short: ordered − reserved. */
  quantity: number
  /** Production-plan wording of the product (D10 10D shortage list). */
  material: string
}

interface Need {
  sku: string | null
  productName: string | null
  model: string | null
  quantity: number
}

const filled = (value: unknown): value is string => typeof value === 'string' && value.trim() !== ''

type CheckedOrder = OrderWithLines & { channel?: unknown; customer?: { name?: unknown } | null; priority?: unknown }

export function createHandler({
  events,
  products,
  stockReservations,
  orders,
}: Pick<WorkerDeps, 'events' | 'products' | 'stockReservations' | 'orders'>): Handler<{ order: CheckedOrder }, never> {
  /** The products the order needs, one entry per SKU (lines of one SKU added up); unknown products apart. */
  async function needsOf(order: CheckedOrder, trx: Knex): Promise<Need[]> {
    const bySku = new Map<string, Need>()
    const unknown: Need[] = []
    for (const line of order.lines) {
      const product: ProductRow | undefined = await productOfLine(products, line, trx)
      const productName = filled(line.productName) ? line.productName : (product?.name ?? null)
      if (!product) {
        unknown.push({ sku: filled(line.sku) ? line.sku : null, productName, model: filled(line.model) ? line.model : null, quantity: line.quantity })
        continue
      }
      const need = bySku.get(product.sku)
      if (need) need.quantity += line.quantity
      else bySku.set(product.sku, { sku: product.sku, productName, model: product.model, quantity: line.quantity })
    }
    return [...bySku.values(), ...unknown]
  }

  /** Shop orders reach the stock check without an `orders` row; the reservations need one. */
  async function ensureOrderRow(order: CheckedOrder, job: { processInstanceKey: string; bpmnProcessId: string }, trx: Knex) {
    if (await orders.find(order.orderNumber, trx)) return
    await orders.upsert(
      {
        order_number: order.orderNumber,
        channel: order.channel === 'shop' || job.bpmnProcessId === 'shop-order' ? 'shop' : 'contract',
        customer_name: filled(order.customer?.name) ? order.customer.name : null,
        priority: order.priority === 'urgent' ? 'urgent' : 'normal',
        status: 'received',
        data: order,
        process_instance_key: job.processInstanceKey,
      },
      trx,
    )
  }

  return async (job) => {
    const { order } = job.variables
    const clause = job.bpmnProcessId === 'shop-order' ? 'D8 二' : 'D10 5D/6D'
    const result = await events.once(stepKey(job, order.orderNumber, clause), async (trx) => {
      await ensureOrderRow(order, job, trx)
      const needs = await needsOf(order, trx)
      const wanted = new Map(needs.filter((n) => n.sku !== null).map((n) => [n.sku as string, n.quantity]))
      const held = (await stockReservations.listForOrder(order.orderNumber, trx)).filter((r) => r.status === 'reserved')
      // A reservation that no longer matches the lines is given back; all are taken afresh below.
      if (held.some((r) => wanted.get(r.sku) !== r.quantity)) await stockReservations.releaseForOrder(order.orderNumber, trx)

      const stockShortages: StockShortage[] = []
      for (const need of needs) {
        let reserved = 0
        if (need.sku !== null) {
          const request = { order_number: order.orderNumber, sku: need.sku, job_key: job.key }
          const full = await stockReservations.reserve({ ...request, quantity: need.quantity }, trx)
          if (full.reservation) reserved = full.reservation.quantity
          else if (full.available > 0) {
            // Short: hold what there is (D8 二), the stock row stays locked until commit.
            const part = await stockReservations.reserve({ ...request, quantity: full.available }, trx)
            reserved = part.reservation?.quantity ?? 0
          }
        }
        if (reserved < need.quantity) {
          stockShortages.push({
            sku: need.sku,
            productName: need.productName,
            model: need.model,
            ordered: need.quantity,
            reserved,
            quantity: need.quantity - reserved,
            material: need.productName ?? need.model ?? need.sku ?? 'unnamed product',
          })
        }
      }
      const stockSufficient = stockShortages.length === 0
      await orders.advance(order.orderNumber, stockSufficient ? 'stock-reserved' : 'stock-short', {}, trx)
      return { outcome: stockSufficient ? 'sufficient' : 'short', result: { stockSufficient, stockShortages } }
    })
    return complete(result)
  }
}
