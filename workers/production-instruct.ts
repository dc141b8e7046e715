/**
 * production-instruct — enters the production instruction (生产指令单) for a contract order once
 * the contract is effective (D2 一.五.1: into the ERP within 4 h; D10 3B: handed to the planning
 * group). The instruction lists what to make — product, model, quantity — and the committed
 * date: the later delivery date agreed with the customer when one was negotiated
 * (agreedDeliveryDate, D2 一.二), else the order's delivery date. A line whose product is not in
 * the catalogue (a new design of a non-regular order) is instructed by name and model.
 *
 * Reads:   order {orderNumber, lines [{sku?, productName, model, quantity}], deliveryDate},
 *          agreedDeliveryDate (optional, YYYY-MM-DD)
 * Writes:  productionInstruction {productionOrderNumber, instructedAt (ISO instant),
 *          committedDate, lines [{lineNo, sku, productName, model, quantity}]}
 * Errors:  none
 * Effects: one `production_orders` row per job (key: job key; reservation-release withdraws it
 *          on cancellation), order status `production-instructed` and one `order_events` row,
 *          in one transaction; a redelivered job returns the stored instruction.
 */
import { calendarDate } from '../lib/repositories/support.ts'
import { complete, stepKey, type Handler, type WorkerDeps } from '../lib/worker.ts'
import { orderWithLinesSchema, productOfLine, type OrderWithLines } from './quote-calculate.ts'

export const taskType = 'production-instruct'

export const variablesSchema = {
  type: 'object',
  required: ['order'],
  properties: {
    order: {
      ...orderWithLinesSchema,
      properties: { ...orderWithLinesSchema.properties, deliveryDate: { type: ['string', 'null'] } },
    },
    agreedDeliveryDate: { type: ['string', 'null'] },
  },
} as const

export const errorCodes = [] as const

const filled = (value: unknown): value is string => typeof value === 'string' && value.trim() !== ''

export interface ProductionInstruction {
  productionOrderNumber: string
  instructedAt: string
  committedDate: string | null
  lines: Array<{ lineNo: number; sku: string | null; productName: string | null; model: string | null; quantity: number }>
}

export function createHandler({
  events,
  products,
  productionOrders,
  orders,
}: Pick<WorkerDeps, 'events' | 'products' | 'productionOrders' | 'orders'>): Handler<
  { order: OrderWithLines & { deliveryDate?: string | null }; agreedDeliveryDate?: string | null },
  never
> {
  return async (job) => {
    const { order, agreedDeliveryDate } = job.variables
    const committedDate = filled(agreedDeliveryDate) ? agreedDeliveryDate : filled(order.deliveryDate) ? order.deliveryDate : null
    const productionInstruction = await events.once(stepKey(job, order.orderNumber, 'D2 一.五.1'), async (trx) => {
      const lines: ProductionInstruction['lines'] = []
      for (const [index, line] of order.lines.entries()) {
        const product = await productOfLine(products, line, trx)
        lines.push({
          lineNo: index + 1,
          sku: product?.sku ?? null,
          productName: filled(line.productName) ? line.productName : (product?.name ?? null),
          model: filled(line.model) ? line.model : (product?.model ?? null),
          quantity: line.quantity,
        })
      }
      const { row } = await productionOrders.insertOrGet(
        { order_number: order.orderNumber, lines: lines.map((line) => ({ ...line, committedDate })), job_key: job.key },
        trx,
      )
      await orders.advance(order.orderNumber, 'production-instructed', {}, trx)
      const result: ProductionInstruction = {
        productionOrderNumber: row.production_order_number,
        instructedAt: new Date(row.instructed_at).toISOString(),
        committedDate: calendarDate(committedDate),
        lines,
      }
      return { outcome: 'instructed', result }
    })
    return complete({ productionInstruction })
  }
}
