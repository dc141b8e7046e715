/**
 * An auditor reads a finished order's history in the real Operate: she logs in with her
 * read-only login, finds the finished instance by its key, opens it and sees every step it took
 * and the decisions recorded in its variables.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { demoNonRegularContractOrder, seedDemoCatalogue } from '../../lib/seed.ts'
import { config, eventually, rest, search, uniqueOrderNumber, withWorkers } from '../helpers.ts'
import { closeBrowser, logIn, newSession, openTask, staffReady, webApp } from './support.ts'

const { db, start } = withWorkers(test)
test.after(closeBrowser)

/** A non-regular order that the engineering, sales and general-manager steps decline: it ends ORDER_DECLINED. */
async function declinedOrder(orderNumber: string): Promise<string> {
  const key = await start('contract-order', {
    order: { orderNumber, ...demoNonRegularContractOrder() },
  })
  const steps: [string, Record<string, unknown>][] = [
    ['ENGINEERING_REVIEW', { engineeringReview: { reviewMeeting: false, productDecision: 'build to drawing OIC-1600-AC rev B', deliveryDate: '2027-03-01', decision: 'feasible' } }],
    ['PRODUCT_PLAN', { productPlan: { description: 'modified cabinet, extra fan tray', plannedDeliveryDate: '2027-02-20', extraCost: 1200 } }],
    ['SALES_MANAGER_AGREEMENT', { salesManagerAgreement: { decision: 'agreed' } }],
    ['GM_APPROVAL', { gmApproval: { decision: 'declined', decidedBy: 'general-manager', comment: 'not our line of business' } }],
  ]
  for (const [elementId, variables] of steps) {
    const task = await openTask(key, elementId)
    await rest.post(`/v2/user-tasks/${task.key}/completion`, { variables })
  }
  await eventually(`instance ${key} finished in Operate`, async () => (await search.processInstanceState(key)) === 'COMPLETED', 90000)
  return key
}

test('an auditor opens a finished order in Operate and reads its history', async () => {
  await staffReady('operate')
  await seedDemoCatalogue(db)
  const orderNumber = uniqueOrderNumber('CA')
  const key = await declinedOrder(orderNumber)
  await eventually('the declined end in the instance history', async () => (await search.flowNodes(key)).some((n) => n.flowNodeId === 'ORDER_DECLINED'))

  const { page, shot, close } = await newSession('operate-history', { width: 1440, height: 1500 })
  try {
    await logIn(page, 'operate', 'auditor', config.STAFF_PASSWORD)
    await shot('dashboard')

    // Processes → finished instances → this instance's key.
    await page.goto(webApp('operate', '/processes?active=false&incidents=false&completed=true&canceled=false'))
    await page.getByRole('button', { name: 'More Filters' }).click()
    await page.getByRole('menuitem', { name: 'Process Instance Key(s)' }).click()
    await page.getByRole('textbox', { name: 'Process Instance Key(s)' }).fill(key)
    const link = page.getByRole('link', { name: key })
    await link.waitFor()
    await shot('finished-instances')
    await link.click()

    const history = page.getByTestId('instance-history')
    await page.getByText('Instance History').waitFor()
    await page.getByText('Order declined').first().waitFor()
    const header = await page.getByTestId('instance-header').innerText()
    assert.match(header, key)
    assert.match(header, 'Contract order')
    const steps = await history.innerText()
    for (const name of ['Check order completeness', 'Classify order', 'Review non-regular order', 'Draw up product plan', 'Agree to product plan', 'Approve product plan', 'Tell customer order is declined', 'Order declined']) {
      assert.match(steps, name, `the history shows ${name}`)
    }
    const variables = await page.getByTestId('variables-list').innerText()
    assert.match(variables, orderNumber)
    assert.match(variables, '"decision":"declined"')
    assert.match(variables, 'not our line of business')
    await shot('instance-history')
  } catch (error) {
    await shot('failed').catch(() => undefined)
    throw error
  } finally {
    await close()
  }
})

test.run()
