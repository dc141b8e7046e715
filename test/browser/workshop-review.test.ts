/**
 * A workshop supervisor does her part of a regular contract order in Operaton's Tasklist: she
 * logs in, finds the order's review task in her group's filter, reads the order in the form,
 * claims the task, replies the delivery date and completes it; the engine moves the order on.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { demoContractOrder, seedDemoCatalogue } from '../../lib/seed.ts'
import { config, uniqueOrderNumber, waitUserTask, withWorkers } from '../helpers.ts'
import { claim, closeBrowser, complete, expectWorkshopReviewDone, logIn, newSession, openTaskOfOrder } from './support.ts'

const { db, start } = withWorkers(test)
test.after(closeBrowser)

test('a workshop supervisor finds the review task of an order in her filter, reads the order, replies the delivery date and completes it', async () => {
  await seedDemoCatalogue(db)
  const orderNumber = uniqueOrderNumber('CB')
  const id = await start('contract-order', orderNumber, { order: { orderNumber, ...demoContractOrder() } })
  const engineTask = await waitUserTask(id, 'WORKSHOP_REVIEW')
  assert.equal(engineTask.candidateGroup, ['workshop-supervisor'])

  const { page, shot, close } = await newSession('workshop-review')
  try {
    await logIn(page, 'tasklist', 'workshop-supervisor', config.STAFF_PASSWORD)
    await page.locator('li.task').first().waitFor()
    await shot('task-list')
    const taskId = await openTaskOfOrder(page, 'workshop-supervisor', 'Review regular order', orderNumber)
    assert.is(taskId, engineTask.key, 'Tasklist opened the engine task of this order')

    // The order details, read from the process variables by the linked form.
    const form = page.locator('.fjs-container')
    const text = await form.innerText()
    assert.match(text, `Order ${orderNumber} — Guangzhou Telecom Works`)
    assert.match(text, 'Patch panel 24-port Cat6, model PP-24-C6-1U × 2')
    assert.match(text, 'Requested delivery date: 2027-03-01')
    assert.match(text, 'Classification: regular')
    assert.match(await page.locator('.task-details .groups, [cam-tasklist-task] .groups').first().innerText(), '车间主管 workshop-supervisor', 'the task names its candidate group')
    await shot('task-form')

    await claim(page)
    // Form date fields show and take YYYY-MM-DD in English too (the project's language script).
    const date = page.getByLabel(/Delivery date the workshop can meet/)
    assert.is(await date.getAttribute('placeholder'), 'yyyy-mm-dd')
    await date.fill('2027-03-15')
    await page.keyboard.press('Enter')
    await page.getByText('Yes, feasible').click()
    await page.getByLabel(/Remarks/).fill('Capacity free in week 10; cabinets in stock.')
    assert.is(await date.inputValue(), '2027-03-15', 'the date field shows the ISO date')
    await shot('filled-form')
    await complete(page)
    await shot('completed')
  } catch (error) {
    await shot('failed').catch(() => undefined)
    throw error
  } finally {
    await close()
  }

  // The engine has the task completed by her, with what she entered, and the order moved on.
  await expectWorkshopReviewDone(id, engineTask.key, 'Capacity free in week 10; cabinets in stock.')
})

test.run()
