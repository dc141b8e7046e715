import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createInspectionRepository } from '../../lib/repositories/inspections.ts'
import { createOrderEventRepository } from '../../lib/repositories/order-events.ts'
import { createOrderRepository } from '../../lib/repositories/orders.ts'
import { createPurchaseRequestRepository } from '../../lib/repositories/purchase-requests.ts'
import { seedDemoCatalogue } from '../../lib/seed.ts'
import { eventually, search, uniqueOrderNumber, withWorkers } from '../helpers.ts'
import { completeNth as complete, finalInspection, finishedGoods, incomingInspection, plan, produceAndPass, production, receiveAndPass, receiveGoods } from './production-steps.ts'

const { db, start: startInstance } = withWorkers(test)
const events = createOrderEventRepository(db)
const orders = createOrderRepository(db)
const purchaseRequests = createPurchaseRequestRepository(db)
const inspections = createInspectionRepository(db)

test.before(async () => {
  await seedDemoCatalogue(db)
})

/** An order row (the workers read it by number) and the `order` variable of the instance. */
async function newOrder() {
  const orderNumber = uniqueOrderNumber('PF')
  const order = {
    orderNumber,
    customer: { name: 'Guangzhou Telecom Works' },
    lines: [{ productName: 'Network cabinet', model: 'NC-42U-6010', quantity: 10 }],
    deliveryDate: '2027-03-01',
    classification: 'regular',
  }
  await orders.upsert({
    order_number: orderNumber, channel: 'contract', customer_name: order.customer.name, priority: 'normal',
    status: 'stock-short', data: order, process_instance_key: null,
  })
  return order
}

const start = (order: { orderNumber: string } & Record<string, unknown>) => startInstance('production-fulfilment', order.orderNumber, { order })

const visits = async (key: string) => (await search.flowNodes(key)).map((n) => n.flowNodeId)

async function completed(key: string) {
  await eventually(`instance ${key} COMPLETED`, async () => (await search.processInstanceState(key)) === 'COMPLETED')
  return eventually(`PRODUCTION_COMPLETED in the flow nodes of ${key}`, async () => {
    const nodes = await visits(key)
    return nodes.includes('PRODUCTION_COMPLETED') && nodes
  })
}

test('no shortages: plan → production → final inspection pass → finished goods in → PRODUCTION_COMPLETED', async () => {
  const order = await newOrder()
  const key = await start(order)

  const planTask = await complete(key, 'PRODUCTION_PLAN', plan())
  assert.equal(planTask.candidateGroup, ['production-manager'])
  await complete(key, 'PRODUCTION', production())
  await complete(key, 'FINAL_INSPECTION', finalInspection(10, 10))
  await complete(key, 'FINISHED_GOODS_IN', finishedGoods(order.orderNumber))

  const path = await completed(key)
  for (const id of ['SHORTAGES', 'PACKAGING_NOTIFY', 'FINAL_SAMPLING_PLAN', 'FINAL_QC_VERDICT', 'JOIN', 'FINISHED_GOODS_IN']) {
    assert.ok(path.includes(id), `visited ${id}`)
  }
  assert.not.ok(path.includes('PROCUREMENT'), 'no procurement without shortages')
  assert.not.ok(path.includes('REWORK'), 'no rework after a pass')

  const lots = await inspections.listForOrder(order.orderNumber)
  assert.equal(lots.map((l) => [l.kind, l.verdict, l.sample_size, l.defects]), [['final', 'pass', 10, 0]])
  const steps = (await events.listForOrder(order.orderNumber)).map((r) => [r.step, r.outcome])
  assert.ok(steps.some(([step]) => step === 'packaging-notify'), `packaging-notify recorded: ${JSON.stringify(steps)}`)
  assert.ok(steps.some(([step, outcome]) => step === 'qc-verdict' && outcome === 'pass'), `qc-verdict pass recorded: ${JSON.stringify(steps)}`)
  // Production moves no order status of its own: the order stays stock-short until its shipment books the carrier.
  const row = await db('orders').where({ order_number: order.orderNumber }).first('status', 'classification')
  assert.equal([row.status, row.classification], ['stock-short', null])
})

test('shortages: one purchase request per shortage, goods-received by request number, incoming inspection pass', async () => {
  const order = await newOrder()
  const key = await start(order)
  const shortages = [
    { material: 'Side panel', model: 'NC-42U-6010', quantity: 10, requiredDate: '2026-01-04', supply: 'transfer-or-purchase' },
    { material: 'Cable tray', model: 'CT-600-ST', quantity: 50, requiredDate: '2026-01-04', supply: 'transfer-or-purchase' },
  ]
  await complete(key, 'PRODUCTION_PLAN', plan(shortages))

  const requests = await eventually('two purchase requests', async () => {
    const rows = await purchaseRequests.listForOrder(order.orderNumber)
    return rows.length === 2 && rows
  })
  const bySku = Object.fromEntries(requests.map((r) => [r.sku, r]))
  assert.equal([bySku['CAB-42U'].source, bySku['CAB-42U'].quantity, bySku['CAB-42U'].shortage_index], ['purchase', 10, 0])
  // Group company 佛山 holds 300 m of CT-600: a group transfer (D2 二.一.3).
  assert.equal([bySku['CT-600'].source, bySku['CT-600'].quantity, bySku['CT-600'].shortage_index], ['group-transfer', 50, 1])
  assert.is.not(requests[0].request_number, requests[1].request_number)

  await receiveAndPass(order.orderNumber, key, requests)
  await produceAndPass(key, order.orderNumber)
  const path = await completed(key)
  assert.is(path.filter((id) => id === 'PROCUREMENT_REQUEST').length, 2)
  assert.is(path.filter((id) => id === 'LOT_ACCEPTED').length, 2)

  const lots = await inspections.listForOrder(order.orderNumber)
  assert.equal(
    lots.filter((l) => l.kind === 'incoming').map((l) => [l.purchase_request_number, l.verdict]).sort(),
    requests.map((r) => [r.request_number, 'pass']).sort(),
  )
})

/** An order short of 20 side panels: planned, the purchase request raised, its goods received and counted. */
async function oneShortageReceived() {
  const order = await newOrder()
  const key = await start(order)
  await complete(key, 'PRODUCTION_PLAN', plan([
    { material: 'Side panel', model: 'NC-42U-6010', quantity: 20, requiredDate: '2026-01-04', supply: 'transfer-or-purchase' },
  ]))
  const [request] = await eventually('the purchase request', async () => {
    const rows = await purchaseRequests.listForOrder(order.orderNumber)
    return rows.length === 1 && rows
  })
  await receiveGoods(order.orderNumber, key, request)
  return { order, key, request }
}

test('incoming inspection below 95 % is escalated to the quality lead (QC_ESCALATION)', async () => {
  const { order, key, request } = await oneShortageReceived()
  await complete(key, 'INCOMING_INSPECTION', incomingInspection(20, 18)) // 90 %

  const [escalation] = await eventually('the QC escalation task', async () => {
    const tasks = await search.userTasks(key, 'QC_ESCALATION')
    return tasks.length > 0 && tasks
  })
  assert.equal(escalation.candidateGroup, ['quality'])
  const [lot] = await inspections.listForOrder(order.orderNumber)
  assert.equal([lot.kind, lot.verdict, lot.purchase_request_number, Number(lot.pass_rate)], ['incoming', 'escalate', request.request_number, 0.9])
  assert.match(lot.reason ?? '', /Pass rate 90 %/)
  await eventually('INCOMING_QC_ESCALATED completed', async () =>
    (await search.flowNodes(key)).some((n) => n.flowNodeId === 'INCOMING_QC_ESCALATED' && n.state === 'COMPLETED'),
  )
})

test('an incoming lot with a general quality problem is rejected to the supplier and, replaced, received again (D10 17E)', async () => {
  const { order, key, request } = await oneShortageReceived()
  const inspection = incomingInspection(20, 20)
  await complete(key, 'INCOMING_INSPECTION', { incomingInspection: { ...inspection.incomingInspection, problemKind: 'general' } })

  const settle = await complete(key, 'SUPPLIER_NONCONFORMANCE', {
    supplierResolution: { action: 'replace', agreedDate: '2026-12-20', comment: 'scratched finish, supplier replaces the lot' },
  })
  assert.equal(settle.candidateGroup, ['procurement'])
  const [lot] = await inspections.listForOrder(order.orderNumber)
  assert.equal([lot.kind, lot.verdict, lot.purchase_request_number], ['incoming', 'reject', request.request_number])

  await receiveGoods(order.orderNumber, key, request, 2)
  await eventually('INCOMING_LOT_REJECTED passed', async () =>
    (await search.flowNodes(key)).some((n) => n.flowNodeId === 'INCOMING_LOT_REJECTED' && n.state === 'COMPLETED'),
  )
})

test('final inspection fail → rework → tightened re-inspection pass → PRODUCTION_COMPLETED', async () => {
  const order = await newOrder()
  const key = await start(order)
  await complete(key, 'PRODUCTION_PLAN', plan())
  await complete(key, 'PRODUCTION', production())
  await complete(key, 'FINAL_INSPECTION', finalInspection(10, 8))

  const rework = await complete(key, 'REWORK', {
    rework: { reworkedQuantity: 10, description: 'Re-fitted two doors', outcome: 'reworked' },
  })
  assert.equal(rework.candidateGroup, ['workshop-supervisor'])
  await complete(key, 'FINAL_INSPECTION', finalInspection(10, 10), 2)
  await complete(key, 'FINISHED_GOODS_IN', finishedGoods(order.orderNumber))
  const path = await completed(key)
  assert.is(path.filter((id) => id === 'FINAL_INSPECTION').length, 2)
  assert.ok(path.includes('FINAL_LOT_REJECTED'))

  const lots = await inspections.listForOrder(order.orderNumber)
  assert.equal(lots.map((l) => [l.kind, l.verdict, l.defects]), [['final', 'rework', 2], ['final', 'pass', 0]])
  const plans = lots.map((l) => (l.items as { qcPlan: { tightened: boolean } }[])[0].qcPlan.tightened)
  assert.equal(plans, [false, true])
})

test.run()
