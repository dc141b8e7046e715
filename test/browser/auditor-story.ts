/**
 * The order the auditor-view browser test reads: a contract order placed through the API with a
 * customer name holding markup, whose workshop review misses its 4 h deadline (the SLA timer fired
 * now, so the escalation runs), that a change request reaches while it waits (assessed as minor),
 * and that then runs to COMPLETED — its human steps done by each role's own engine user (claim,
 * complete), its events sent to the API as the sales system, carrier and bank would.
 */
import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import { createEngineRest, toEngineVariables } from '../../lib/engine-rest.ts'
import { demoContractOrder } from '../../lib/seed.ts'
import { calledInstance, config, eventually, fireTimer, search, timerJob, waitUserTask } from '../helpers.ts'

/** What the customer typed as their name: shown as text, never run. */
export const MARKUP_CUSTOMER = 'Guangzhou <script>window.__injected = 1</script><img src=x onerror="window.__injected = 2"> Works'

/** The engine user who does each human step: the demo user of its candidate group (user id = group id). */
async function completeTask(processInstanceId: string, elementId: string, variables: Record<string, unknown>): Promise<void> {
  const task = await waitUserTask(processInstanceId, elementId)
  const user = task.candidateGroup?.[0]
  if (!user) throw new Error(`${elementId} has no candidate group`)
  const asUser = createEngineRest(config, { user, password: config.STAFF_PASSWORD })
  await asUser.post(`/task/${task.key}/claim`, { userId: user })
  await asUser.post(`/task/${task.key}/complete`, { variables: toEngineVariables(variables) })
}

const reached = (instance: string, id: string, state?: string) =>
  eventually(`${id} in ${instance}`, async () => (await search.flowNodes(instance)).some((n) => n.flowNodeId === id && (!state || n.state === state)))

/** Places and finishes the order; its order number and the order's own process instance. */
export async function finishedContractOrder(app: FastifyInstance, db: Knex, integratorKey: string): Promise<{ orderNumber: string; key: string }> {
  let requests = 0
  const post = async (url: string, payload: Record<string, unknown>) => {
    const answer = await app.inject({ method: 'POST', url, payload, headers: { 'x-api-key': integratorKey, 'idempotency-key': `auditor-view-${process.pid}-${Date.now()}-${++requests}` } })
    if (answer.statusCode >= 300) throw new Error(`POST ${url} answered ${answer.statusCode}: ${answer.body}`)
    return answer.json()
  }
  const order = demoContractOrder()
  const { orderNumber, processInstanceKey: key } = await post('/orders', { channel: 'contract', ...order, customer: { ...order.customer, name: MARKUP_CUSTOMER } })

  await waitUserTask(key, 'WORKSHOP_REVIEW')
  await fireTimer(await timerJob(key, 'SLA_REGULAR_REVIEW'))
  await eventually('the missed review deadline recorded', async () =>
    (await db('service_level_deadlines').where({ order_number: orderNumber, sla_id: 'regularReview' }).whereNotNull('breached_at')).length === 1)
  await post(`/orders/${orderNumber}/changes`, { description: 'Blue labels instead of white', requestedBy: 'Zhang San' })
  await completeTask(key, 'ASSESS_CHANGE', { changeAssessment: { kind: 'minor', summary: 'label colour only', leaderInformed: true } })
  await reached(key, 'CHANGE_HANDLED', 'COMPLETED')

  await completeTask(key, 'WORKSHOP_REVIEW', { workshopReview: { deliveryDate: '2027-03-01', decision: 'feasible', note: 'capacity free' } })
  await completeTask(key, 'DRAFT_CONTRACT', {
    contract: { contractNumber: `HT-${orderNumber}`, amount: 520, currency: 'CNY', paymentTerms: 'full payment before production' },
    paymentCollection: { remindOn: '2027-06-01' },
  })
  await reached(key, 'CONTRACT_SIGNED')
  await post(`/orders/${orderNumber}/contract-signed`, { signedOn: '2026-12-01', signedBy: 'Zhang San', contractNumber: `HT-${orderNumber}` })
  await reached(key, 'PAYMENT_RECEIVED')
  await post(`/orders/${orderNumber}/payments`, { amount: 520, kind: 'full', reference: 'BANK-TT-0001' })

  const shipment = await calledInstance(key, 'shipment')
  await completeTask(shipment, 'SHIPPING_INSTRUCTION', {
    shippingInstruction: { contractChecked: true, paymentChecked: true, dispatchDate: '2026-12-01', deliveryDate: '2027-03-01', deliveryAddress: order.deliveryAddress },
  })
  await completeTask(shipment, 'SHIPPING_APPROVAL', { shippingApproval: { decision: 'approve', comment: 'contract paid, ship it' } })
  await completeTask(shipment, 'PICK_AND_PACK', { packing: { allItemsPresent: true, marked: true, packageCount: 1, grossWeightKg: 6 } })
  await completeTask(shipment, 'SHIPPING_DOCUMENTS', { shippingDocuments: { shippingRequest: true, outboundSlip: true, carrierReceipt: true, sentAt: new Date().toISOString() } })
  await reached(shipment, 'AWAIT_DELIVERY')
  await post(`/orders/${orderNumber}/delivery-confirmations`, { deliveredOn: '2026-12-03', signedBy: 'Zhang San', damaged: false })
  await reached(key, 'AWAIT_BALANCE')
  await post(`/orders/${orderNumber}/payments`, { amount: 0.01, kind: 'balance', reference: 'BANK-TT-0002' })
  await completeTask(key, 'FINANCE_SETTLEMENT', { financeSettlement: { revenue: 520, cost: 300, receivablesCleared: true } })
  await completeTask(key, 'CUSTOMER_FOLLOW_UP', { followUp: { contactedOn: '2026-12-10', satisfaction: 'satisfied', feedback: 'arrived in good order' } })
  await eventually('the order COMPLETED', async () => (await search.processInstanceState(key)) === 'COMPLETED')
  return { orderNumber, key }
}
