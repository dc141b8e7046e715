/**
 * procurement-request — covers one shortage line of the production plan (D2 二.一.3): procurement
 * checks the stock of the other group companies first and asks for a transfer (调拨) when one of
 * them holds the whole quantity; otherwise it raises a purchase by the purchase plan. A shortage
 * the plan marks `supply: "outsourcing"` (approved by the general manager before this step,
 * D2 二.二.2(3)) becomes the outsourcing order of D10 7E. The request number it returns is the
 * correlation key of the `goods-received` message (D10 8F).
 *
 * The diagram runs it once per shortage (multi-instance over productionPlan.shortages), and again
 * when a rejected lot is returned to the supplier (D10 17E): each job raises one request.
 *
 * Reads:   order.orderNumber; shortage {material, model, quantity, requiredDate, supply};
 *          loopCounter (the shortage's position in the multi-instance, 0-based as the engine counts; 0 when absent)
 * Writes:  purchaseRequest {requestNumber, kind (group-transfer | purchase | outsourcing),
 *          supplier (the group company for a transfer, else null: the buyer chooses), sku,
 *          quantity, plannedArrival (YYYY-MM-DD)}
 * Errors:  none (the diagram catches none); a model missing from the product catalogue is a
 *          technical fault (incident) naming the model
 * Effects: one `purchase_requests` row keyed by (job key, shortage index) and one `order_events`
 *          row, in one transaction; a redelivered job returns the first request.
 */
import type { Knex } from 'knex'
import type { PurchaseRequest } from '../lib/repositories/purchase-requests.ts'
import type { GroupStock } from '../lib/repositories/stock.ts'

export type { GroupStock }
import { complete, stepKey, type Handler, type WorkerDeps } from '../lib/worker.ts'

export const taskType = 'procurement-request'

export const variablesSchema = {
  type: 'object',
  required: ['order', 'shortage'],
  properties: {
    order: {
      type: 'object',
      required: ['orderNumber'],
      properties: { orderNumber: { type: 'string', minLength: 1 } },
    },
    shortage: {
      type: 'object',
      required: ['model', 'quantity'],
      properties: {
        material: { type: ['string', 'null'] },
        model: { type: 'string', minLength: 1 },
        quantity: { type: 'integer', minimum: 1 },
        requiredDate: { type: ['string', 'null'], pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}' },
        supply: { type: ['string', 'null'], enum: ['transfer-or-purchase', 'outsourcing', null] },
      },
    },
    loopCounter: { type: ['integer', 'null'], minimum: 0 },
  },
} as const

export const errorCodes = [] as const

export interface Shortage {
  material?: string | null
  model: string
  quantity: number
  requiredDate?: string | null
  supply?: 'transfer-or-purchase' | 'outsourcing' | null
}

export interface ProcurementVariables {
  order: { orderNumber: string; [field: string]: unknown }
  shortage: Shortage
  loopCounter?: number | null
}

export type RequestKind = 'group-transfer' | 'purchase' | 'outsourcing'

/** Where a shortage is covered from: a group company holding all of it, else a purchase. */
export function chooseSource(
  sku: string,
  quantity: number,
  supply: Shortage['supply'],
  groupStock: readonly GroupStock[],
): { kind: RequestKind; supplier: string | null } {
  if (supply === 'outsourcing') return { kind: 'outsourcing', supplier: null }
  const holder = groupStock.find((stock) => stock.sku === sku && stock.available >= quantity)
  return holder ? { kind: 'group-transfer', supplier: holder.company } : { kind: 'purchase', supplier: null }
}

export interface ProcurementOptions {
  /** Where the group companies' stock comes from: `group_stock` (tests may pass their own). */
  groupStock?: (sku: string, trx: Knex) => Promise<readonly GroupStock[]>
}

/**
 * The group's stock system is not connected: procurement records what the other group companies
 * hold in `group_stock` (D2 二.一.3 "查询集团各公司库存"; the demo catalogue seeds some). A group
 * company is asked only when it holds the whole shortage (a part-transfer plus a part-purchase
 * would be two lots to receive and inspect for one shortage line).
 */
export function createHandler(
  { products, purchaseRequests, events, stock }: Pick<WorkerDeps, 'products' | 'purchaseRequests' | 'events' | 'stock'>,
  { groupStock = (sku, trx) => stock.groupStock(sku, trx) }: ProcurementOptions = {},
): Handler<ProcurementVariables, never> {
  return async (job) => {
    const { order, shortage } = job.variables
    const loopCounter = job.variables.loopCounter ?? 0
    const result = await events.once(stepKey(job, order.orderNumber, 'D2 二.一.3'), async (trx) => {
      const product = await products.findByModel(shortage.model, trx)
      if (!product) {
        throw new Error(
          `shortage model "${shortage.model}" is not in the product catalogue: add the product (SKU, model) to products, or correct shortage.model in Cockpit, then retry`,
        )
      }
      const { kind, supplier } = chooseSource(product.sku, shortage.quantity, shortage.supply, await groupStock(product.sku, trx))
      const request: PurchaseRequest = {
        order_number: order.orderNumber,
        sku: product.sku,
        quantity: shortage.quantity,
        source: kind === 'group-transfer' ? 'group-transfer' : 'purchase',
        supplier,
        planned_arrival: shortage.requiredDate ? shortage.requiredDate.slice(0, 10) : null,
        job_key: job.key,
        shortage_index: loopCounter,
      }
      const { row } = await purchaseRequests.insertOrGet(request, trx)
      return {
        outcome: kind,
        result: {
          purchaseRequest: {
            requestNumber: row.request_number,
            kind,
            supplier: row.supplier,
            sku: row.sku,
            model: shortage.model,
            quantity: row.quantity,
            plannedArrival: row.planned_arrival,
          },
        },
      }
    })
    return complete(result)
  }
}
