/**
 * A workshop supervisor does her part of a regular contract order in the real Tasklist: she logs
 * in, finds the order's review task in her queue, reads the order in the form, replies the
 * delivery date and completes the task; the engine moves the order on.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { config, eventually, rest, search, uniqueOrderNumber, withWorkers } from '../helpers.ts'
import { closeBrowser, logIn, newSession, openTask, openTaskOfOrder, staffReady, tasklistShows } from './support.ts'

const { start } = withWorkers(test)
test.after(closeBrowser)

function regularOrder(orderNumber: string) {
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

test('a workshop supervisor finds the review task of an order in Tasklist, reads the order, replies the delivery date and completes it', async () => {
  await staffReady('tasklist')
  const orderNumber = uniqueOrderNumber('CB')
  const key = await start('contract-order', { order: regularOrder(orderNumber) })
  const engineTask = await openTask(key, 'WORKSHOP_REVIEW')
  await tasklistShows(key, 'WORKSHOP_REVIEW')

  const { page, shot, close } = await newSession('workshop-review')
  try {
    await logIn(page, 'tasklist', 'workshop-supervisor', config.STAFF_PASSWORD)
    await shot('task-list')
    const taskId = await openTaskOfOrder(page, 'workshop-supervisor', 'Review regular order', orderNumber)
    assert.is(taskId, String(engineTask.key), 'Tasklist opened the engine task of this order')

    // The order details, read from the process variables by the linked form.
    const form = page.locator('.fjs-container')
    const text = await form.innerText()
    assert.match(text, `Order ${orderNumber} — Guangzhou Telecom Works`)
    assert.match(text, 'Distribution frame, model DF-200 × 4')
    assert.match(text, 'Requested delivery date: 2027-03-01')
    assert.match(text, 'Classification: regular')
    assert.not.match(text, '\\n', 'line breaks render as breaks, not as \\n')
    assert.ok(await page.getByText('workshop-supervisor', { exact: true }).isVisible(), 'the task names its candidate group')
    await shot('task-form')

    await page.getByRole('button', { name: 'Assign to me' }).click()
    await page.getByRole('button', { name: 'Unassign' }).waitFor()
    await page.getByLabel(/Delivery date the workshop can meet/).fill('03/15/2027')
    await page.keyboard.press('Enter')
    await page.getByText('Yes, feasible').click()
    await page.getByLabel(/Remarks/).fill('Capacity free in week 10; cabinets in stock.')
    await shot('filled-form')
    await page.getByRole('button', { name: 'Complete Task' }).click()
    await page.getByText('Task completed').first().waitFor()
    await shot('completed')
  } catch (error) {
    await shot('failed').catch(() => undefined)
    throw error
  } finally {
    await close()
  }

  // The engine has the task completed with what she entered, and the order moved on.
  const [completed] = await eventually('the review task completed in the engine', async () => {
    const tasks = await search.userTasks(key, 'WORKSHOP_REVIEW', 'COMPLETED')
    return tasks.length > 0 && tasks
  })
  assert.is(completed.key, engineTask.key)
  const review = await eventually('the workshopReview variable', async () => {
    const page = await rest.post<{ items: { name: string; value: string }[] }>('/v1/variables/search', {
      filter: { processInstanceKey: Number(key), name: 'workshopReview' },
    })
    return page.items[0] && (JSON.parse(page.items[0].value) as Record<string, string>)
  })
  assert.equal(review, { deliveryDate: '2027-03-15', decision: 'feasible', note: 'Capacity free in week 10; cabinets in stock.' })
  const nodes = await eventually('the order past the workshop review', async () => {
    const nodes = await search.flowNodes(key)
    return nodes.some((n) => n.flowNodeId === 'WORKSHOP_REVIEW' && n.state === 'COMPLETED') &&
      nodes.some((n) => n.flowNodeId === 'QUOTE_CALCULATE') && nodes
  })
  assert.ok(nodes.some((n) => n.flowNodeId === 'QUOTE_CALCULATE'), 'the quote follows the review')
})

test.run()
