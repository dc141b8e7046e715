import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createOrderEventRepository } from '../../lib/repositories/order-events.ts'
import { createOrderRepository } from '../../lib/repositories/orders.ts'
import { runWorkers } from '../../lib/system.ts'
import type { RunningWorkers } from '../../lib/worker-runtime.ts'
import { config, eventually, openClients, rest, search, uniqueOrderNumber } from '../helpers.ts'

const { camunda, db } = openClients()
const zeebe = camunda.getZeebeGrpcApiClient()
const events = createOrderEventRepository(db)
const orders = createOrderRepository(db)
let workers: RunningWorkers
const started: string[] = []

test.before(async () => {
  workers = await runWorkers(config, camunda, db)
})

test.after(async () => {
  for (const key of started) await zeebe.cancelProcessInstance(key).catch(() => undefined)
  await workers.stop(5000)
  await zeebe.close()
  await db.destroy()
})

function contractOrder(orderNumber: string) {
  return {
    orderNumber,
    customer: { name: 'Guangzhou Telecom Works' },
    lines: [{ productName: 'Distribution frame', model: 'DF-200', quantity: 4 }],
    deliveryDate: '2027-03-01',
    shippingMethod: 'road',
    salesLeaderSignOff: { name: 'Li Wei' },
    shippedBefore: true,
    technicalFilesComplete: true,
  }
}

async function start(order: Record<string, unknown>) {
  const instance = await zeebe.createProcessInstance({ bpmnProcessId: 'contract-order', variables: JSON.parse(JSON.stringify({ order })) })
  started.push(instance.processInstanceKey)
  return instance.processInstanceKey
}

const completed = (key: string) => eventually(`instance ${key} COMPLETED`, async () => (await search.processInstanceState(key)) === 'COMPLETED')

async function visited(key: string) {
  return eventually(`the element instances of ${key}`, async () => {
    const nodes = await search.flowNodes(key)
    return nodes.some((n) => n.flowNodeId === 'ORDER_CLASSIFIED' && n.state === 'COMPLETED') && nodes.map((n) => n.flowNodeId)
  })
}

test('a complete order goes start → validate → classify → end', async () => {
  const orderNumber = uniqueOrderNumber()
  const key = await start(contractOrder(orderNumber))
  await completed(key)
  assert.equal(await visited(key), ['ORDER_RECEIVED', 'CHECK_MERGE', 'VALIDATE_ORDER', 'ORDER_COMPLETE', 'CLASSIFY_ORDER', 'ORDER_CLASSIFIED'])

  const rows = await events.listForOrder(orderNumber)
  assert.equal(rows.map((r) => [r.step, r.outcome, r.element_id, r.actor, r.clause]), [
    ['order-validate', 'complete', 'VALIDATE_ORDER', 'worker:order-validate', 'D1 第4条 2'],
  ])
  assert.is(rows[0].process_instance_key, key)
  const order = await orders.find(orderNumber)
  assert.is(order?.status, 'validated')
  assert.is(order?.process_instance_key, key)
})

test('an incomplete order waits at Correct order, is corrected through the REST API, and completes', async () => {
  const orderNumber = uniqueOrderNumber()
  const incomplete = { ...contractOrder(orderNumber), shippingMethod: undefined, salesLeaderSignOff: undefined }
  const key = await start(incomplete)

  const [task] = await eventually('the Correct order task', async () => {
    const tasks = await search.userTasks(key, 'CORRECT_ORDER')
    return tasks.length > 0 && tasks
  })
  assert.equal(task.candidateGroup, ['sales-assistant'])
  assert.ok(task.formKey, 'the task links its form')
  assert.is((await orders.find(orderNumber))?.status, 'incomplete')

  await rest.post(`/v2/user-tasks/${task.key}/completion`, {
    variables: { order: { ...contractOrder(orderNumber), technicalFilesComplete: false } },
  })
  await completed(key)

  const path = await visited(key)
  assert.equal(path.filter((id) => id === 'VALIDATE_ORDER').length, 2)
  assert.equal(path.filter((id) => id === 'CORRECT_ORDER').length, 1)
  assert.ok(path.includes('CLASSIFY_ORDER'))

  const rows = await events.listForOrder(orderNumber)
  assert.equal(rows.map((r) => [r.step, r.outcome]), [
    ['order-validate', 'incomplete'],
    ['order-validate', 'complete'],
  ])
  assert.equal((rows[0].details as { result: { orderProblems: string[] } }).result.orderProblems, [
    'Shipping method is missing',
    'Sales leader sign-off is missing',
  ])
  assert.is((await orders.find(orderNumber))?.status, 'validated')
})

test.run()
