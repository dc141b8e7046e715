/**
 * The orders of a chaos run and what the staff answer in each human step. Five scenarios cover
 * every side effect the run counts: a shop order delivered (carrier booking, notifications), one
 * cancelled after payment (refund), one exchanged for a cheaper item (price-difference refund,
 * then delivered), one delivered and returned (pickup booking, refund), and a contract order short
 * of stock (purchase request, production, goods received).
 */
import { demoContractOrder } from '../../lib/seed.ts'
import { userTaskAnswers as contractPathAnswers } from '../bench/driver.ts'

export const scenarios = ['delivered', 'cancelled', 'exchanged', 'returned', 'contract'] as const
export type Scenario = (typeof scenarios)[number]

/** Order i's scenario: of every ten, 3 delivered, 2 cancelled, 1 exchanged, 2 returned, 2 contract. */
export function scenarioOf(index: number): Scenario {
  return (['delivered', 'cancelled', 'delivered', 'returned', 'contract', 'exchanged', 'delivered', 'cancelled', 'returned', 'contract'] as const)[index % 10]
}

export const shopPrice = 260
export const exchangeRefund = 20
/** ODF-288: 3 frames in stock (lib/seed.ts); 20 ordered → 17 short, one purchase request. */
export const contractShortage = { sku: 'ODF-288', ordered: 20, short: 17 }

const chinaDate = (at: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(at)
export const daysFromNow = (days: number) => chinaDate(new Date(Date.now() + days * 86400000))

export function orderBody(scenario: Scenario, index: number): Record<string, unknown> {
  if (scenario === 'contract') {
    return {
      channel: 'contract',
      ...demoContractOrder(),
      lines: [{ sku: contractShortage.sku, productName: 'Optical distribution frame 288-core', model: 'ODF-288-SC', quantity: contractShortage.ordered }],
    }
  }
  return {
    channel: 'shop',
    customer: { name: `Chaos Customer ${index}`, phone: '+86 138 0000 0004' },
    lines: [{ sku: 'PP-24C6', productName: 'Patch panel 配线面板 24-port Cat6', quantity: 1, unitPrice: shopPrice }],
    deliveryAddress: 'Yuexiu District, Guangzhou',
    shippingMethod: 'express',
    deliveryDate: daysFromNow(5),
  }
}

/**
 * What the staff enter at each user task (element id → variables) on the scenarios' paths: the
 * benchmark's contract path, with today's dates where a shop order needs them, and the rest.
 */
export const userTaskAnswers: Record<string, (orderNumber: string) => Record<string, unknown>> = {
  ...contractPathAnswers,
  CONFIRM_ORDER: () => ({ orderConfirmation: { itemsChecked: true, deliveryAddress: 'Yuexiu District, Guangzhou', outcome: 'confirmed' } }),
  EXCHANGE_REVIEW: () => ({
    exchange: {
      decision: 'accepted',
      newLines: [{ sku: 'PP-24C6', productName: 'Patch panel 24-port Cat6 (grey)', quantity: 1, unitPrice: shopPrice - exchangeRefund }],
      priceDifference: -exchangeRefund,
      note: 'grey instead of black',
    },
  }),
  PICK_QC_PACK: () => ({ packing: { allItemsPicked: true, qualityChecked: true, packed: true, packageCount: 1 } }),
  SETTLEMENT: (orderNumber) => ({ settlement: { statementNumber: `ST-${orderNumber}`, settledOn: daysFromNow(0), amount: shopPrice } }),
  SHIPPING_INSTRUCTION: () => ({
    shippingInstruction: { contractChecked: true, paymentChecked: true, dispatchDate: daysFromNow(0), deliveryDate: '2027-03-01', deliveryAddress: '88 Tianhe Road, Guangzhou 510620' },
  }),
  SHIPPING_DOCUMENTS: () => ({ shippingDocuments: { shippingRequest: true, outboundSlip: true, carrierReceipt: true, sentAt: new Date().toISOString() } }),
  PRODUCTION_PLAN: () => ({
    productionPlan: {
      completeSet: false,
      decomposition: 'Frames: chassis, trays, adapters',
      plannedStart: '2026-01-05T08:00',
      plannedCompletion: '2026-01-09T17:00',
      packingDate: '2026-01-10',
      mode: 'in-house',
      hasShortages: true,
      shortages: [{ material: 'ODF frame 288-core', model: 'ODF-288-SC', quantity: contractShortage.short, requiredDate: '2027-01-10', supply: 'transfer-or-purchase' }],
    },
  }),
  RECEIVE_GOODS: () => ({ goodsReceipt: { countedQuantity: contractShortage.short, deliveryNoteQuantity: contractShortage.short, inspectionRequestNumber: 'IR-1' } }),
  INCOMING_INSPECTION: () => ({
    incomingInspection: {
      inspectedQuantity: contractShortage.short, passedQuantity: contractShortage.short, reportNumber: 'IQC-CHAOS',
      modelMatches: true, partsComplete: true, appearanceOk: true, quantityMatchesDeliveryNote: true, problemKind: 'none',
    },
  }),
  PRODUCTION: () => ({ production: { completedQuantity: contractShortage.ordered, completedOn: '2026-01-09T16:00', lotNumber: 'LOT-CHAOS' } }),
  FINAL_INSPECTION: () => ({ finalInspection: { inspectedQuantity: contractShortage.ordered, passedQuantity: contractShortage.ordered, reportNumber: 'FQC-CHAOS' } }),
  FINISHED_GOODS_IN: (orderNumber) => ({
    finishedGoods: {
      quantity: contractShortage.ordered, stockInRequestNumber: `SI-${orderNumber}`, inspectionReportNumber: 'FQC-CHAOS',
      passLabelPresent: true, completeness: 'complete',
    },
  }),
  CUSTOMER_FOLLOW_UP: () => ({ followUp: { contactedOn: daysFromNow(7), satisfaction: 'satisfied', feedback: 'arrived in good order' } }),
  REVIEW_RETURN: () => ({ returnReview: { decision: 'approve', returnMethod: 'courier-pickup', costsExplained: true, comment: 'within the rules' } }),
  INSPECT_RETURN: () => ({
    inspection: {
      items: [{ sku: 'PP-24C6', productName: 'Patch panel 配线面板 24-port Cat6', quantityRequested: 1, quantityReceived: 1, unitPrice: shopPrice }],
      itemState: 'defective',
      tagsAndPackagingIntact: true,
      reasonConfirmed: true,
      inspectedOn: `${daysFromNow(0)}T10:00:00+08:00`,
      findings: 'port 7 dead',
    },
  }),
}

/** The return request of a delivered order (scenario `returned`). */
export const returnBody = (orderNumber: string) => ({
  orderNumber,
  items: [{ sku: 'PP-24C6', productName: 'Patch panel 配线面板 24-port Cat6', quantity: 1, unitPrice: shopPrice }],
  reason: 'port 7 does not link',
  reasonKind: 'defective',
  tagsAndPackagingIntact: true,
  amountPaid: shopPrice,
})

/** What each scenario must have caused, exactly once each: the run's "nothing lost, nothing twice" per order. */
export const expectedEffects: Record<Scenario, { refunds: number[]; bookings: number; purchaseRequests: number }> = {
  delivered: { refunds: [], bookings: 1, purchaseRequests: 0 },
  cancelled: { refunds: [shopPrice], bookings: 0, purchaseRequests: 0 },
  exchanged: { refunds: [exchangeRefund], bookings: 1, purchaseRequests: 0 },
  returned: { refunds: [shopPrice], bookings: 2, purchaseRequests: 0 },
  contract: { refunds: [], bookings: 1, purchaseRequests: 1 },
}
