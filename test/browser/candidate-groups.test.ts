/**
 * What Tasklist 8.6.0 without Identity does with candidate groups, as the README states it: every
 * logged-in user sees every group's tasks; the group is a filter staff choose, not a restriction;
 * and the read-only auditor login cannot claim a task.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { config, rest, search, uniqueOrderNumber, withWorkers } from '../helpers.ts'
import { closeBrowser, logIn, newSession, openTask, staffReady, tasklistShows, webApp } from './support.ts'

const { start } = withWorkers(test)
test.after(closeBrowser)

/** An order missing its shipping method: it waits at Correct order, a sales-assistant task. */
async function incompleteOrder() {
  const orderNumber = uniqueOrderNumber('CC')
  const key = await start('contract-order', {
    order: {
      orderNumber,
      customer: { name: 'Guangzhou Telecom Works' },
      lines: [{ productName: 'Distribution frame', model: 'DF-200', quantity: 4 }],
      deliveryDate: '2027-03-01',
      salesLeaderSignOff: { name: 'Li Wei' },
      shippedBefore: true,
      technicalFilesComplete: true,
    },
  })
  const task = await openTask(key, 'CORRECT_ORDER')
  assert.equal(task.candidateGroup, ['sales-assistant'])
  await tasklistShows(key, 'CORRECT_ORDER')
  return { key, task }
}

test("a workshop supervisor sees the sales assistants' task too; filtering by her group hides it", async () => {
  await staffReady('tasklist')
  const { key, task } = await incompleteOrder()
  const { page, shot, close } = await newSession('candidate-groups')
  try {
    await logIn(page, 'tasklist', 'workshop-supervisor', config.STAFF_PASSWORD)
    // The task list's own search, with her session: no restriction to her group.
    const visible = await page.evaluate(async (processInstanceKey) => {
      const response = await fetch('/v1/tasks/search', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ processInstanceKey, state: 'CREATED' }),
      })
      return ((await response.json()) as { id: string; candidateGroups: string[] }[]).map((t) => ({ id: t.id, groups: t.candidateGroups }))
    }, key)
    assert.equal(visible, [{ id: String(task.key), groups: ['sales-assistant'] }])
    await page.goto(webApp('tasklist', `?filter=custom&state=CREATED&processInstanceKey=${key}`))
    await page.getByRole('link', { name: /Correct order/ }).waitFor()
    await shot('other-group-visible')

    await page.goto(webApp('tasklist', `?filter=custom&state=CREATED&processInstanceKey=${key}&candidateGroup=workshop-supervisor`))
    await page.getByText('No tasks found').waitFor()
    await shot('own-group-filter')
  } finally {
    await close()
  }
})

test('the auditor reads tasks in Tasklist but cannot claim one', async () => {
  await staffReady('tasklist')
  const { key, task } = await incompleteOrder()
  const { page, shot, close } = await newSession('auditor-tasklist')
  try {
    await logIn(page, 'tasklist', 'auditor', config.STAFF_PASSWORD)
    await page.goto(webApp('tasklist', `/${task.key}?filter=custom&state=CREATED&processInstanceKey=${key}`))
    await page.locator('.fjs-container').waitFor()
    const assign = page.getByRole('button', { name: 'Assign to me' })
    if (await assign.isVisible()) {
      await assign.click()
      await page.waitForTimeout(2000)
    }
    await shot('refused')
    assert.is(await page.getByRole('button', { name: 'Unassign' }).count(), 0, 'the auditor did not get the task')
  } finally {
    await close()
  }
  const [open] = await search.userTasks(key, 'CORRECT_ORDER')
  assert.is(open?.key, task.key, 'the task is still open')
  assert.is((await rest.get<{ assignee: string | null }>(`/v1/tasks/${task.key}`)).assignee, null, 'and nobody holds it')
})

test.run()
