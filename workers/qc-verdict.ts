/**
 * qc-verdict — judges an inspection record against the qc-sampling plan and records it.
 *
 * Incoming lots (D2 二.二.5(3), D10 9H): the lot passes, or it is escalated to the quality and
 * procurement department leads (BPMN error QC_ESCALATE) when the batch pass rate is below the
 * plan's threshold (95 %) or there is a serious problem — wrong specification or model, missing
 * parts, bad appearance, a quantity that differs from the delivery note, or a finding the
 * inspector classed as serious; a general quality problem is rejected to the buyer, who settles
 * it with the supplier (BPMN error LOT_REJECTED, D10 17E).
 * Final lots (D10 16H, 20G): pass, or LOT_REJECTED (to rework) when the pass rate is below the
 * threshold (1: no nonconforming unit). A final lot is never escalated: the diagram does not
 * catch QC_ESCALATE there.
 *
 * pass rate = (sample − defects) / sample = passedQuantity / inspectedQuantity.
 *
 * Reads:   inspectionKind (incoming | final), inspection {inspectedQuantity, passedQuantity,
 *          reportNumber, modelMatches, partsComplete, appearanceOk, quantityMatchesDeliveryNote,
 *          problemKind (none | general | serious), findings}, qcPlan {passThreshold, sampleSize,
 *          plan, tightened, clause}, order.orderNumber; for the lot size and the lot's purchase
 *          request: goodsReceipt, purchaseRequest (incoming), production, rework (final)
 * Writes:  qcVerdict {verdict (pass | reject | escalate | rework), passRate (0..1), reason}, also
 *          with the BPMN errors, so the escalation and rework forms show the reason
 * Errors:  QC_ESCALATE (incoming only), LOT_REJECTED
 * Effects: one `inspections` row keyed by the job key and one `order_events` row, in one
 *          transaction; a redelivered job gets its first verdict.
 */
import { passRate as passRateText, type Verdict } from '../lib/repositories/inspections.ts'
import { bpmnError, complete, stepKey, type Handler, type WorkerDeps } from '../lib/worker.ts'

export const taskType = 'qc-verdict'

const count = { type: 'integer', minimum: 0 } as const
const flag = { type: ['boolean', 'null'] } as const

export const variablesSchema = {
  type: 'object',
  required: ['inspectionKind', 'inspection', 'qcPlan', 'order'],
  properties: {
    inspectionKind: { enum: ['incoming', 'final'] },
    inspection: {
      type: 'object',
      required: ['inspectedQuantity', 'passedQuantity'],
      properties: {
        inspectedQuantity: { type: 'integer', minimum: 1 },
        passedQuantity: count,
        reportNumber: { type: ['string', 'null'] },
        modelMatches: flag,
        partsComplete: flag,
        appearanceOk: flag,
        quantityMatchesDeliveryNote: flag,
        problemKind: { enum: ['none', 'general', 'serious', null] },
        findings: { type: ['string', 'null'] },
      },
    },
    qcPlan: {
      type: 'object',
      required: ['passThreshold'],
      properties: {
        passThreshold: { type: 'number', minimum: 0, maximum: 1 },
        sampleSize: { type: ['number', 'null'] },
        clause: { type: ['string', 'null'] },
      },
    },
    order: {
      type: 'object',
      required: ['orderNumber'],
      properties: { orderNumber: { type: 'string', minLength: 1 } },
    },
    goodsReceipt: {
      type: ['object', 'null'],
      properties: { countedQuantity: { type: ['integer', 'null'] }, deliveryNoteQuantity: { type: ['integer', 'null'] } },
    },
    purchaseRequest: { type: ['object', 'null'], properties: { requestNumber: { type: ['string', 'null'] } } },
    production: { type: ['object', 'null'], properties: { completedQuantity: { type: ['integer', 'null'] } } },
    rework: { type: ['object', 'null'], properties: { reworkedQuantity: { type: ['integer', 'null'] } } },
  },
} as const

export const errorCodes = ['QC_ESCALATE', 'LOT_REJECTED'] as const
type ErrorCode = (typeof errorCodes)[number]

export interface InspectionRecord {
  inspectedQuantity: number
  passedQuantity: number
  reportNumber?: string | null
  modelMatches?: boolean | null
  partsComplete?: boolean | null
  appearanceOk?: boolean | null
  quantityMatchesDeliveryNote?: boolean | null
  problemKind?: 'none' | 'general' | 'serious' | null
  findings?: string | null
}

export interface QcVariables {
  inspectionKind: 'incoming' | 'final'
  inspection: InspectionRecord
  qcPlan: { passThreshold: number; sampleSize?: number | null; clause?: string | null; [field: string]: unknown }
  order: { orderNumber: string; [field: string]: unknown }
  goodsReceipt?: { countedQuantity?: number | null; deliveryNoteQuantity?: number | null } | null
  purchaseRequest?: { requestNumber?: string | null } | null
  production?: { completedQuantity?: number | null } | null
  rework?: { reworkedQuantity?: number | null } | null
}

export interface QcVerdict {
  verdict: Verdict
  /** 0..1 with four decimals. */
  passRate: number
  /** Why, in the inspector's words; null when the lot passed. */
  reason: string | null
}

const percent = (rate: number) => `${(rate * 100).toFixed(1).replace(/\.0$/, '')} %`

/** The verdict on a record; pure, so the rules read like D2 二.二.5(3) and D10 20G. */
export function judge(variables: Pick<QcVariables, 'inspectionKind' | 'inspection' | 'qcPlan' | 'goodsReceipt'>): QcVerdict {
  const { inspectionKind, inspection, qcPlan, goodsReceipt } = variables
  const passRate = Number(passRateText(inspection.inspectedQuantity, inspection.inspectedQuantity - inspection.passedQuantity))
  const lowRate = passRate < qcPlan.passThreshold
    ? [`Pass rate ${percent(passRate)} (${inspection.passedQuantity} of ${inspection.inspectedQuantity}) is below ${percent(qcPlan.passThreshold)}`]
    : []
  const findings = inspection.findings?.trim() ? `: ${inspection.findings.trim()}` : ''

  if (inspectionKind === 'final') {
    if (lowRate.length === 0) return { verdict: 'pass', passRate, reason: null }
    return { verdict: 'rework', passRate, reason: `${lowRate[0]}${findings}` }
  }

  const countedDiffers =
    goodsReceipt?.countedQuantity != null &&
    goodsReceipt.deliveryNoteQuantity != null &&
    goodsReceipt.countedQuantity !== goodsReceipt.deliveryNoteQuantity
  const serious = [
    ...lowRate,
    ...(inspection.modelMatches === false ? ['Specification or model does not match the order'] : []),
    ...(inspection.partsComplete === false ? ['Parts are missing'] : []),
    ...(inspection.appearanceOk === false ? ['Appearance is not acceptable'] : []),
    ...(inspection.quantityMatchesDeliveryNote === false || countedDiffers ? ['Quantity differs from the delivery note'] : []),
    ...(inspection.problemKind === 'serious' ? ['Serious problem found'] : []),
  ]
  if (serious.length > 0) return { verdict: 'escalate', passRate, reason: `${serious.join('; ')}${findings}` }
  if (inspection.problemKind === 'general') return { verdict: 'reject', passRate, reason: `General quality problem${findings}` }
  return { verdict: 'pass', passRate, reason: null }
}

const clauseOf = (kind: QcVariables['inspectionKind']) => (kind === 'incoming' ? 'D2 二.二.5(3)' : 'D10 20G')

export function createHandler({ inspections, events }: Pick<WorkerDeps, 'inspections' | 'events'>): Handler<QcVariables, ErrorCode> {
  return async (job) => {
    const v = job.variables
    const { inspection } = v
    if (inspection.passedQuantity > inspection.inspectedQuantity) {
      throw new Error(
        `the inspection record says ${inspection.passedQuantity} units passed of ${inspection.inspectedQuantity} inspected: correct passedQuantity of the ${v.inspectionKind} inspection in Cockpit, then retry`,
      )
    }
    const declaredLot = v.inspectionKind === 'incoming'
      ? v.goodsReceipt?.countedQuantity
      : (v.rework?.reworkedQuantity ?? v.production?.completedQuantity)
    // An inspector may inspect more than the counted lot (a recount); the record stays valid.
    const lotSize = Math.max(declaredLot ?? 0, inspection.inspectedQuantity)

    const qcVerdict = await events.once(stepKey(job, v.order.orderNumber, clauseOf(v.inspectionKind)), async (trx) => {
      const verdict = judge(v)
      const { row } = await inspections.insertOrGet(
        {
          order_number: v.order.orderNumber,
          purchase_request_number: v.inspectionKind === 'incoming' ? (v.purchaseRequest?.requestNumber ?? null) : null,
          kind: v.inspectionKind,
          lot_size: lotSize,
          sample_size: inspection.inspectedQuantity,
          defects: inspection.inspectedQuantity - inspection.passedQuantity,
          pass_rate: verdict.passRate.toFixed(4),
          verdict: verdict.verdict,
          reason: verdict.reason,
          items: [{ ...inspection, qcPlan: v.qcPlan }],
          inspected_by: null,
          job_key: job.key,
        },
        trx,
      )
      const stored: QcVerdict = { verdict: row.verdict, passRate: Number(row.pass_rate), reason: row.reason }
      return { outcome: stored.verdict, result: stored }
    })

    if (qcVerdict.verdict === 'pass') return complete({ qcVerdict })
    if (qcVerdict.verdict === 'escalate') return bpmnError('QC_ESCALATE', qcVerdict.reason ?? 'escalated', { qcVerdict })
    return bpmnError('LOT_REJECTED', qcVerdict.reason ?? 'rejected', { qcVerdict })
  }
}
