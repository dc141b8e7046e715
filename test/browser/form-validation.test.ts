/**
 * Tasklist's forms refuse what the form forbids: required fields left empty keep the correction
 * form from completing, with the form's own message; nothing reaches the engine until the entry
 * is right, then the task completes and the corrected order moves on, nothing else of it lost
 * (the form edits orderCorrection, which the completeness check merges into the order).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { demoContractOrder, seedDemoCatalogue } from '../../lib/seed.ts'
import { config, search, uniqueOrderNumber, waitUserTask, withWorkers } from '../helpers.ts'
import { claim, closeBrowser, complete, completeButton, logIn, newSession, openTaskOfOrder, taskEnded } from './support.ts'

const { db, start } = withWorkers(test)
test.after(closeBrowser)

/** An order without shipping method and sign-off: the completeness check sends it to Correct order. */
function incompleteOrder(orderNumber: string) {
  const { shippingMethod: _s, salesLeaderSignOff: _l, ...order } = demoContractOrder()
  return { orderNumber, ...order }
}

test('the correction form refuses to complete with required fields empty, naming them, then completes once they are filled', async () => {
  await seedDemoCatalogue(db)
  const orderNumber = uniqueOrderNumber('CV')
  const id = await start('contract-order', orderNumber, { order: incompleteOrder(orderNumber) })
  const task = await waitUserTask(id, 'CORRECT_ORDER')
  const submits: string[] = []

  const { page, shot, close } = await newSession('form-validation', { width: 1440, height: 2600 })
  page.on('request', (r) => { if (/\/task\/[^/]+\/submit-form$/.test(r.url())) submits.push(r.postData() ?? '') })
  try {
    await logIn(page, 'tasklist', 'sales-assistant', config.STAFF_PASSWORD)
    await openTaskOfOrder(page, 'sales-assistant', 'Correct order', orderNumber)
    const form = page.locator('.fjs-container')
    assert.match(await form.innerText(), 'Shipping method is missing')
    // One slot per line of the order: the order has one line.
    assert.is(await form.getByText('第1行 Line 1', { exact: true }).count(), 1)
    assert.is(await form.getByText('第2行 Line 2', { exact: true }).count(), 0)
    assert.is(await form.getByLabel('Model').inputValue(), 'PP-24-C6-1U')
    // Labels in Chinese and English are long: they wrap (tasklist/styles/user-styles.css), none is cut off.
    const clipped = await form.locator('.fjs-form-field-label').evaluateAll((labels) =>
      labels.filter((label) => label.scrollWidth > label.clientWidth + 1).map((label) => label.textContent?.trim()))
    assert.equal(clipped, [], 'no label is cut off')
    await claim(page)
    // The form names each required field she leaves empty, and Complete stays disabled.
    const shipping = form.locator('.fjs-form-field-select', { hasText: 'Shipping method' })
    await shipping.getByText('Select', { exact: true }).click()
    await form.getByText('Correct this order').click()
    await form.getByLabel(/Signed off by/).focus()
    await page.keyboard.press('Tab')
    await form.getByText('Field is required.').nth(1).waitFor()
    assert.is(await form.getByText('Field is required.').count(), 2, 'the shipping method and the sign-off are named')
    assert.ok(await completeButton(page).isDisabled(), 'Complete is disabled while required fields are empty')
    await shot('refused')
    assert.equal(submits, [], 'Tasklist submitted nothing')
    assert.equal((await search.userTasks(id, 'CORRECT_ORDER')).map((t) => t.key), [task.key], 'the task is still open')

    await shipping.getByText('Select', { exact: true }).click()
    await form.locator('.fjs-dropdownlist-item', { hasText: 'Rail' }).click()
    await form.getByLabel(/Signed off by/).fill('Li Wei')
    await page.keyboard.press('Tab')
    await form.getByText('Field is required.').first().waitFor({ state: 'detached' })
    // Tasklist enables Complete once form-js reports no error (a field inside a form-js dynamic
    // list would keep an empty error entry and Complete disabled for good: the form has none).
    await completeButton(page).and(page.locator(':enabled')).waitFor()
    await shot('corrected')
    await complete(page)
  } catch (error) {
    await shot('failed').catch(() => undefined)
    throw error
  } finally {
    await close()
  }
  assert.is(submits.length, 1)
  await taskEnded(task.key)
  // The corrected order is checked again, complete now, and goes to its review.
  await waitUserTask(id, 'WORKSHOP_REVIEW')
  const { order, orderCorrection } = (await search.variables(id)) as { order: Record<string, unknown>; orderCorrection: unknown }
  assert.is(orderCorrection, null, 'the correction is merged and consumed')
  assert.is(order.shippingMethod, 'rail')
  assert.equal(order.salesLeaderSignOff, { name: 'Li Wei' })
  assert.is(order.deliveryAddress, demoContractOrder().deliveryAddress, 'what the form does not show is kept')
  assert.is((order.lines as { sku: string }[])[0].sku, 'PP-24C6', 'a line keeps its SKU')
})

test.run()
