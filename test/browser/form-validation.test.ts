/**
 * Tasklist's forms refuse what the form forbids: a required field left empty, a value out of its
 * range. Nothing is completed until the entry is right.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { config, eventually, search, uniqueOrderNumber, withWorkers } from '../helpers.ts'
import { closeBrowser, logIn, newSession, openTask, openTaskOfOrder, staffReady, tasklistShows } from './support.ts'

const { start } = withWorkers(test)
test.after(closeBrowser)

function order(orderNumber: string, complete: boolean) {
  return {
    orderNumber,
    customer: { name: 'Guangzhou Telecom Works' },
    lines: [{ productName: 'Distribution frame', model: 'DF-200', quantity: 4 }],
    deliveryDate: '2027-03-01',
    ...(complete ? { shippingMethod: 'road', salesLeaderSignOff: { name: 'Li Wei' } } : {}),
    shippedBefore: true,
    technicalFilesComplete: true,
  }
}

/** Still open in the engine a while after the refused attempt: nothing was completed. */
async function stillOpen(key: string, elementId: string, taskKey: number) {
  await new Promise((resolve) => setTimeout(resolve, 2000))
  assert.equal((await search.userTasks(key, elementId)).map((t) => t.key), [taskKey], `${elementId} is still open`)
  assert.equal(await search.userTasks(key, elementId, 'COMPLETED'), [], `${elementId} was not completed`)
}

test('the review form refuses to complete with its required delivery date and decision empty', async () => {
  await staffReady('tasklist')
  const orderNumber = uniqueOrderNumber('CV')
  const key = await start('contract-order', { order: order(orderNumber, true) })
  const task = await openTask(key, 'WORKSHOP_REVIEW')
  await tasklistShows(key, 'WORKSHOP_REVIEW')

  const { page, shot, close } = await newSession('validation-required')
  try {
    await logIn(page, 'tasklist', 'workshop-supervisor', config.STAFF_PASSWORD)
    await openTaskOfOrder(page, 'workshop-supervisor', 'Review regular order', orderNumber)
    await page.getByRole('button', { name: 'Assign to me' }).click()
    await page.getByRole('button', { name: 'Unassign' }).waitFor()
    await page.getByRole('button', { name: 'Complete Task' }).click()
    await page.getByText('Field is required.').first().waitFor()
    assert.is(await page.getByText('Field is required.').count(), 2, 'the delivery date and the decision are named')
    await shot('required-refused')
    assert.is(await page.getByText('Task completed').count(), 0)
  } catch (error) {
    await shot('failed').catch(() => undefined)
    throw error
  } finally {
    await close()
  }
  await stillOpen(key, 'WORKSHOP_REVIEW', task.key)
})

test('the correction form refuses a quantity below 1 and missing fields, then completes once they are right', async () => {
  await staffReady('tasklist')
  const orderNumber = uniqueOrderNumber('CV')
  const key = await start('contract-order', { order: order(orderNumber, false) })
  const task = await openTask(key, 'CORRECT_ORDER')
  await tasklistShows(key, 'CORRECT_ORDER')

  const { page, shot, close } = await newSession('validation-range')
  try {
    await logIn(page, 'tasklist', 'sales-assistant', config.STAFF_PASSWORD)
    await openTaskOfOrder(page, 'sales-assistant', 'Correct order', orderNumber)
    const form = page.locator('.fjs-container')
    assert.match(await form.innerText(), 'Shipping method is missing')
    await page.getByRole('button', { name: 'Assign to me' }).click()
    await page.getByRole('button', { name: 'Unassign' }).waitFor()
    await form.getByLabel('Quantity').fill('0')
    await page.keyboard.press('Tab')
    // The form checks the field as soon as she leaves it…
    await page.getByText('Field must have minimum value of 1.').waitFor()
    // …and every field when she tries to complete.
    await page.getByRole('button', { name: 'Complete Task' }).click()
    await page.getByText('Field is required.').first().waitFor()
    assert.is(await page.getByText('Field is required.').count(), 2, 'the shipping method and the sign-off are named')
    assert.ok(await page.getByText('Field must have minimum value of 1.').isVisible(), 'the quantity is still refused')
    await page.getByRole('alert', { name: /Please review 3 fields: Quantity in Order, Shipping method in Order, and Signed off by/ }).waitFor()
    await shot('range-refused')
    await stillOpen(key, 'CORRECT_ORDER', task.key)

    await form.getByLabel('Quantity').fill('5')
    await page.keyboard.press('Tab')
    await form.locator('.fjs-form-field-select', { hasText: 'Shipping method' }).getByText('Select', { exact: true }).click()
    await form.locator('.fjs-dropdownlist-item', { hasText: 'Rail' }).click()
    await form.getByRole('textbox', { name: /Signed off by/ }).fill('Li Wei')
    await page.keyboard.press('Tab')
    await shot('corrected')
    await page.getByRole('button', { name: 'Complete Task' }).click()
    await page.getByText('Task completed').first().waitFor()
  } catch (error) {
    await shot('failed').catch(() => undefined)
    throw error
  } finally {
    await close()
  }
  // The corrected order is checked again, complete now, and goes to its review.
  const review = await openTask(key, 'WORKSHOP_REVIEW')
  assert.ok(review.key)
  const [corrected] = await eventually('the correction completed', async () => {
    const tasks = await search.userTasks(key, 'CORRECT_ORDER', 'COMPLETED')
    return tasks.length > 0 && tasks
  })
  assert.is(corrected.key, task.key)
})

test.run()
