/**
 * The general manager approves a non-regular order in Operaton's Tasklist: engineering, the
 * product plan and the sales manager have done their part; she reads the plan in the form,
 * claims the task, approves it, and the order moves on to its contract.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { demoNonRegularContractOrder, seedDemoCatalogue } from '../../lib/seed.ts'
import { completeUserTask, config, search, uniqueOrderNumber, waitUserTask, withWorkers } from '../helpers.ts'
import { claim, closeBrowser, complete, logIn, newSession, openTaskOfOrder, taskEnded } from './support.ts'

const { db, start } = withWorkers(test)
test.after(closeBrowser)

test('the general manager approves a non-regular order in Tasklist and the order moves on to its contract', async () => {
  await seedDemoCatalogue(db)
  const orderNumber = uniqueOrderNumber('CG')
  const id = await start('contract-order', orderNumber, { order: { orderNumber, ...demoNonRegularContractOrder() } })
  // The steps before, done by engineering, planning and the sales manager.
  const before: [string, Record<string, unknown>][] = [
    ['ENGINEERING_REVIEW', { engineeringReview: { reviewMeeting: false, productDecision: 'build to drawing OIC-1600-AC rev B', deliveryDate: '2027-03-01', decision: 'feasible' } }],
    ['PRODUCT_PLAN', { productPlan: { description: 'Modified cabinet with an extra fan tray', plannedDeliveryDate: '2027-02-20', extraCost: 1200 } }],
    ['SALES_MANAGER_AGREEMENT', { salesManagerAgreement: { decision: 'agreed', comment: 'customer accepts the surcharge' } }],
  ]
  for (const [elementId, variables] of before) await completeUserTask(await waitUserTask(id, elementId), variables)
  const engineTask = await waitUserTask(id, 'GM_APPROVAL')
  assert.equal(engineTask.candidateGroup, ['general-manager'])

  const { page, shot, close } = await newSession('gm-approval', { width: 1440, height: 1800 })
  try {
    await logIn(page, 'tasklist', 'general-manager', config.STAFF_PASSWORD)
    const taskId = await openTaskOfOrder(page, 'general-manager', 'Approve product plan', orderNumber)
    assert.is(taskId, engineTask.key)
    const text = await page.locator('.fjs-container').innerText()
    assert.match(text, 'Outdoor integrated cabinet, model OIC-1600-AC × 1')
    assert.match(text, 'Classification: non-regular')
    assert.match(text, 'Modified cabinet with an extra fan tray')
    assert.match(text, 'Sales department head: agreed')
    await shot('task-form')

    await claim(page)
    await page.getByText('Approved — release plan and technical files').click()
    const decidedBy = page.locator('.fjs-form-field-select', { hasText: 'Decided by' })
    await decidedBy.locator('.fjs-input-group, .fjs-select-display, input').first().click()
    await page.locator('.fjs-dropdownlist-item').first().click()
    await page.getByLabel('Comment').fill('Approved: release the plan to production.')
    await shot('filled-form')
    await complete(page)
  } catch (error) {
    await shot('failed').catch(() => undefined)
    throw error
  } finally {
    await close()
  }

  assert.is((await taskEnded(engineTask.key)).assignee, 'general-manager')
  const { gmApproval } = (await search.variables(id)) as { gmApproval: Record<string, string> }
  assert.is(gmApproval.decision, 'approved')
  assert.is(gmApproval.comment, 'Approved: release the plan to production.')
  await waitUserTask(id, 'DRAFT_CONTRACT')
})

test.run()
