/**
 * reservation-release — unwinds what an order holds when it is cancelled or closed before
 * shipment: gives back its stock reservations (D10 5D/6D, D8 二) and withdraws its open
 * production instructions and purchase requests (PROCESSES.md §1). Used by contract-order
 * (customer cancels) and shop-order (closed for want of a reply or of stock, or cancelled).
 * An order that never reached the stock check holds nothing: the job completes with zeros. A shop
 * order closed or cancelled before its stock check has no `orders` row yet; it is created here
 * (channel shop, status received) so that the refund and notice after this step can refer to it.
 *
 * Reads:   order {orderNumber, customer?}
 * Writes:  reservationRelease {reservationsReleased, productionOrdersWithdrawn,
 *          purchaseRequestsWithdrawn} (counts)
 * Errors:  none
 * Effects: reservations `released`, production orders and open purchase requests `withdrawn`,
 *          and one `order_events` row, in one transaction; a redelivered job returns the stored
 *          counts. Already released, consumed, received or withdrawn rows are left alone.
 */
import { orderNumberPattern } from '../lib/schemas.ts'
import { complete, stepKey, type Handler, type WorkerDeps } from '../lib/worker.ts'

export const taskType = 'reservation-release'

export const variablesSchema = {
  type: 'object',
  required: ['order'],
  properties: {
    order: {
      type: 'object',
      required: ['orderNumber'],
      properties: { orderNumber: { type: 'string', pattern: orderNumberPattern } },
    },
  },
} as const

export const errorCodes = [] as const

export interface ReservationRelease {
  reservationsReleased: number
  productionOrdersWithdrawn: number
  purchaseRequestsWithdrawn: number
}

export function createHandler({
  events,
  orders,
  stockReservations,
  productionOrders,
  purchaseRequests,
}: Pick<WorkerDeps, 'events' | 'orders' | 'stockReservations' | 'productionOrders' | 'purchaseRequests'>): Handler<
  { order: { orderNumber: string; customer?: { name?: unknown } | null } },
  never
> {
  return async (job) => {
    const { order } = job.variables
    const { orderNumber } = order
    const known = await orders.find(orderNumber)
    // No orders row: nothing was ever reserved or instructed for it. A contract order always has
    // its row (order-validate); a shop order gets it at the stock check, so one closed or cancelled
    // before that has none, yet the refund and the customer notice that follow this step refer to
    // it (refunds, notifications and order_events reference orders): the row is created here.
    if (!known && job.bpmnProcessId !== 'shop-order') {
      return complete({ reservationRelease: { reservationsReleased: 0, productionOrdersWithdrawn: 0, purchaseRequestsWithdrawn: 0 } })
    }
    const clause = job.bpmnProcessId === 'shop-order' ? 'D8 二' : 'D10 5D/6D'
    const reservationRelease = await events.once(stepKey(job, orderNumber, clause), async (trx) => {
      if (!known && !(await orders.find(orderNumber, trx))) {
        await orders.upsert(
          {
            order_number: orderNumber,
            channel: 'shop',
            customer_name: typeof order.customer?.name === 'string' && order.customer.name.trim() !== '' ? order.customer.name : null,
            priority: 'normal',
            status: 'received',
            data: order as Record<string, unknown>,
            process_instance_key: job.processInstanceKey,
          },
          trx,
        )
      }
      const result: ReservationRelease = {
        reservationsReleased: await stockReservations.releaseForOrder(orderNumber, trx),
        productionOrdersWithdrawn: await productionOrders.withdrawForOrder(orderNumber, trx),
        purchaseRequestsWithdrawn: await purchaseRequests.withdrawOpenForOrder(orderNumber, trx),
      }
      return { outcome: 'released', result }
    })
    return complete({ reservationRelease })
  }
}
