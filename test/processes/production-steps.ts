/**
 * The user-task answers and steps of production-fulfilment, shared by its own suite and by the
 * contract-order suite that reaches it through the PRODUCTION_FULFILMENT call activity: plan
 * (with shortage lines), goods received and inspected per purchase request, production, final
 * inspection and finished goods in.
 */
import type { PurchaseRequestRow } from '../../lib/repositories/purchase-requests.ts'
import { completeUserTask, correlate, eventually, search, type UserTask } from '../helpers.ts'

/** Waits for the user task `elementId` (the `nth` created one, 1-based) and completes it with `variables`. */
export async function completeNth(key: string, elementId: string, variables: Record<string, unknown>, nth = 1): Promise<UserTask> {
  const task = await eventually(`user task ${elementId} #${nth} in instance ${key}`, async () => {
    const open = await search.userTasks(key, elementId)
    if (open.length === 0) return false
    const all = [...(await search.userTasks(key, elementId, 'COMPLETED')), ...open]
    return all.length >= nth && open[0]
  })
  await completeUserTask(task, variables)
  return task
}

export interface ShortageLine {
  material: string
  model: string
  quantity: number
  requiredDate: string
  /** transfer-or-purchase, or outsourcing */
  supply: string
}

export function plan(shortages: ShortageLine[] = []) {
  return {
    productionPlan: {
      completeSet: false,
      decomposition: 'Cabinets: frame, doors, side panels',
      plannedStart: '2026-01-05T08:00',
      plannedCompletion: '2026-01-09T17:00',
      packingDate: '2026-01-10',
      mode: 'in-house',
      hasShortages: shortages.length > 0,
      shortages,
    },
  }
}

export const production = (quantity = 10) => ({
  production: { completedQuantity: quantity, completedOn: '2026-01-09T16:00', lotNumber: 'LOT-1' },
})
export const finalInspection = (inspected: number, passed: number) => ({
  finalInspection: { inspectedQuantity: inspected, passedQuantity: passed, reportNumber: `FQC-${inspected}-${passed}` },
})
export const finishedGoods = (orderNumber: string, quantity = 10) => ({
  finishedGoods: {
    quantity, stockInRequestNumber: `SI-${orderNumber}`, inspectionReportNumber: `FQC-${quantity}-${quantity}`,
    passLabelPresent: true, completeness: 'complete',
  },
})
export const goodsReceipt = (quantity: number) => ({
  goodsReceipt: { countedQuantity: quantity, deliveryNoteQuantity: quantity, inspectionRequestNumber: 'IR-1' },
})
export const incomingInspection = (inspected: number, passed: number) => ({
  incomingInspection: {
    inspectedQuantity: inspected, passedQuantity: passed, reportNumber: `IQC-${inspected}-${passed}`,
    modelMatches: true, partsComplete: true, appearanceOk: true, quantityMatchesDeliveryNote: true, problemKind: 'none',
  },
})

/**
 * The goods of one purchase request arrive (message goods-received, correlated by the order
 * number and its request number) and are counted; `nth` counts the RECEIVE_GOODS tasks of the instance.
 */
export async function receiveGoods(orderNumber: string, key: string, request: Pick<PurchaseRequestRow, 'request_number' | 'quantity'>, nth = 1) {
  // The wait opens once the procurement-request task completed: correlate retries until it does.
  await correlate('goods-received', orderNumber, { localCorrelationKeys: { requestNumber: request.request_number } })
  await completeNth(key, 'RECEIVE_GOODS', goodsReceipt(request.quantity), nth)
}

/** Every request's goods received and passed by incoming inspection (D10 8F–12F). */
export async function receiveAndPass(orderNumber: string, key: string, requests: Pick<PurchaseRequestRow, 'request_number' | 'quantity'>[]) {
  for (const [i, request] of requests.entries()) {
    await receiveGoods(orderNumber, key, request, i + 1)
    const sample = Math.min(request.quantity, 20)
    await completeNth(key, 'INCOMING_INSPECTION', incomingInspection(sample, sample), i + 1)
  }
}

/** Production, a passing final inspection and finished goods into stock (D10 13D–21F). */
export async function produceAndPass(key: string, orderNumber: string, quantity = 10) {
  await completeNth(key, 'PRODUCTION', production(quantity))
  await completeNth(key, 'FINAL_INSPECTION', finalInspection(quantity, quantity))
  await completeNth(key, 'FINISHED_GOODS_IN', finishedGoods(orderNumber, quantity))
}
