import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createOrderEventRepository } from '../../lib/repositories/order-events.ts'
import { createOrderRepository } from '../../lib/repositories/orders.ts'
import { completeUserTask, eventually, search, uniqueOrderNumber, withWorkers, type FlowNodeInstance } from '../helpers.ts'

const { db, start: startInstance } = withWorkers(test)
const events = createOrderEventRepository(db)
const orders = createOrderRepository(db)

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

const start = (order: { orderNumber: string } & Record<string, unknown>) => startInstance('contract-order', order.orderNumber, { order })

/** The element ids the instance has visited so far, once `done` holds for its element instances. */
async function visitedUntil(key: string, what: string, done: (nodes: FlowNodeInstance[]) => boolean) {
  return eventually(`${what} in instance ${key}`, async () => {
    const nodes = await search.flowNodes(key)
    return done(nodes) && nodes.map((n) => n.flowNodeId)
  })
}

const classifiedAndReached = (next: string) => (nodes: FlowNodeInstance[]) =>
  nodes.some((n) => n.flowNodeId === 'CLASSIFY_ORDER' && n.state === 'COMPLETED') && nodes.some((n) => n.flowNodeId === next)

test('a complete regular order goes start → validate → classify → review copies → Workshop review', async () => {
  const orderNumber = uniqueOrderNumber()
  const key = await start(contractOrder(orderNumber))

  const [task] = await eventually('the Workshop review task', async () => {
    const tasks = await search.userTasks(key, 'WORKSHOP_REVIEW')
    return tasks.length > 0 && tasks
  })
  assert.equal(task.candidateGroup, ['workshop-supervisor'])
  const path = await visitedUntil(key, 'WORKSHOP_REVIEW reached', classifiedAndReached('WORKSHOP_REVIEW'))
  assert.equal(path, [
    'ORDER_RECEIVED', 'CHECK_MERGE', 'VALIDATE_ORDER', 'ORDER_COMPLETE', 'CLASSIFY_ORDER',
    'ORDER_URGENT', 'URGENT_MERGE', 'ORDER_REGULAR', 'REVIEW_NOTIFY', 'WORKSHOP_REVIEW',
  ])

  const rows = await events.listForOrder(orderNumber)
  assert.equal(rows.map((r) => [r.step, r.outcome, r.element_id, r.actor, r.clause]), [
    ['order-validate', 'complete', 'VALIDATE_ORDER', 'worker:order-validate', 'D1 第4条 2'],
    ['review-notify', 'notified', 'REVIEW_NOTIFY', 'worker:review-notify', 'D1 第5条 2'],
  ])
  assert.is(rows[0].process_instance_key, key)
  const order = await orders.find(orderNumber)
  assert.is(order?.status, 'validated')
  assert.is(order?.classification, null, 'the classification is recorded with the quote, or at the order\'s end')
  assert.is(order?.process_instance_key, key)
})

test('an incomplete order waits at Correct order, is corrected through the REST API, and goes on to the engineering review', async () => {
  const orderNumber = uniqueOrderNumber()
  const incomplete = { ...contractOrder(orderNumber), shippingMethod: undefined, salesLeaderSignOff: undefined }
  const key = await start(incomplete)

  const [task] = await eventually('the Correct order task', async () => {
    const tasks = await search.userTasks(key, 'CORRECT_ORDER')
    return tasks.length > 0 && tasks
  })
  assert.equal(task.candidateGroup, ['sales-assistant'])
  assert.is(task.formKey, 'contract-order.correct-order', 'the task links its form')
  assert.is((await orders.find(orderNumber))?.status, 'incomplete')

  // Technical files incomplete: the corrected order is non-regular (D1 第5条 1). The task's form
  // edits orderCorrection (the copy of the order the task starts with); the completeness check
  // merges it into order.
  await completeUserTask(task, { orderCorrection: { ...contractOrder(orderNumber), technicalFilesComplete: false } })

  const path = await visitedUntil(key, 'CLASSIFY_ORDER completed and ENGINEERING_REVIEW activated', classifiedAndReached('ENGINEERING_REVIEW'))
  assert.equal(path.filter((id) => id === 'VALIDATE_ORDER').length, 2)
  assert.equal(path.filter((id) => id === 'CORRECT_ORDER').length, 1)
  assert.equal(path.slice(-4), ['ORDER_URGENT', 'URGENT_MERGE', 'ORDER_REGULAR', 'ENGINEERING_REVIEW'])
  const [review] = await eventually('the Engineering review task', async () => {
    const tasks = await search.userTasks(key, 'ENGINEERING_REVIEW')
    return tasks.length > 0 && tasks
  })
  assert.equal(review.candidateGroup, ['engineering-supervisor'])
  assert.is(review.formKey, 'contract-order.engineering-review', 'the review task links its form')

  const rows = await events.listForOrder(orderNumber)
  assert.equal(rows.map((r) => [r.step, r.outcome]), [
    ['order-validate', 'incomplete'],
    ['order-validate', 'complete'],
  ])
  assert.equal((rows[0].details as { result: { orderProblems: string[] } }).result.orderProblems, [
    'Shipping method is missing',
    'Sales leader sign-off is missing',
  ])
  assert.equal([(await orders.find(orderNumber))?.status, (await orders.find(orderNumber))?.classification], ['validated', null])
})

test.run()
