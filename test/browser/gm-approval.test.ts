/**
 * The general manager approves a non-regular order in the real Tasklist: engineering, the product
 * plan and the sales manager have done their part; she reads the plan in the form, approves it,
 * and the plan and technical files are released and the quote made.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { demoNonRegularContractOrder, seedDemoCatalogue } from '../../lib/seed.ts'
import { config, eventually, rest, search, uniqueOrderNumber, withWorkers } from '../helpers.ts'
import { closeBrowser, logIn, newSession, openTask, openTaskOfOrder, staffReady, tasklistShows } from './support.ts'

const { db, start } = withWorkers(test)
test.after(closeBrowser)

test('the general manager approves a non-regular order in Tasklist and the order moves on to its quote and contract', async () => {
  await staffReady('tasklist')
  await seedDemoCatalogue(db)
  const orderNumber = uniqueOrderNumber('CG')
  const key = await start('contract-order', {
    order: { orderNumber, ...demoNonRegularContractOrder() },
  })
  // The steps before, done by engineering, planning and the sales manager.
  const before: [string, Record<string, unknown>][] = [
    ['ENGINEERING_REVIEW', { engineeringReview: { reviewMeeting: false, productDecision: 'build to drawing OIC-1600-AC rev B', deliveryDate: '2027-03-01', decision: 'feasible' } }],
    ['PRODUCT_PLAN', { productPlan: { description: 'Modified cabinet with an extra fan tray', plannedDeliveryDate: '2027-02-20', extraCost: 1200 } }],
    ['SALES_MANAGER_AGREEMENT', { salesManagerAgreement: { decision: 'agreed', comment: 'customer accepts the surcharge' } }],
  ]
  for (const [elementId, variables] of before) {
    const task = await openTask(key, elementId)
    await rest.post(`/v2/user-tasks/${task.key}/completion`, { variables })
  }
  const engineTask = await openTask(key, 'GM_APPROVAL')
  assert.equal(engineTask.candidateGroup, ['general-manager'])
  await tasklistShows(key, 'GM_APPROVAL')

  const { page, shot, close } = await newSession('gm-approval')
  try {
    await logIn(page, 'tasklist', 'general-manager', config.STAFF_PASSWORD)
    const taskId = await openTaskOfOrder(page, 'general-manager', 'Approve product plan', orderNumber)
    assert.is(taskId, String(engineTask.key))
    const text = await page.locator('.fjs-container').innerText()
    assert.match(text, 'Outdoor integrated cabinet, model OIC-1600-AC × 1')
    assert.match(text, 'Classification: non-regular')
    assert.match(text, 'Modified cabinet with an extra fan tray')
    assert.match(text, 'Planned delivery date: 2027-02-20')
    assert.match(text, 'Sales department head: agreed — customer accepts the surcharge')
    await shot('task-form')

    await page.getByRole('button', { name: 'Assign to me' }).click()
    await page.getByRole('button', { name: 'Unassign' }).waitFor()
    await page.getByText('Approved — release plan and technical files').click()
    await page.getByLabel('Comment').fill('Approved: release the plan to production.')
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

  const approval = await eventually('the gmApproval variable', async () => {
    const page = await rest.post<{ items: { value: string }[] }>('/v1/variables/search', { filter: { processInstanceKey: Number(key), name: 'gmApproval' } })
    return page.items[0] && (JSON.parse(page.items[0].value) as Record<string, string>)
  })
  assert.equal(approval, { decision: 'approved', decidedBy: 'general-manager', comment: 'Approved: release the plan to production.' })
  await openTask(key, 'DRAFT_CONTRACT')
  // Operate's history catches up with the engine a moment later.
  const path = await eventually('the release and the quote in the instance history', async () => {
    const ids = (await search.flowNodes(key)).map((n) => n.flowNodeId)
    return ids.includes('QUOTE_CALCULATE') && ids
  })
  assert.ok(path.includes('RELEASE_TECHNICAL_FILES'), `plan and technical files released: ${path.join(', ')}`)
  assert.not.ok(path.includes('WORKSHOP_REVIEW'), 'a non-regular order skips the workshop review')
})

test.run()
