/**
 * Each group sees only its own tasks (lib/identity.ts; the engine grants a candidate group its
 * tasks): the warehouse login finds none of the workshop's tasks in Tasklist and cannot read or
 * claim one by its id over REST, while the workshop supervisor sees it.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { demoContractOrder, seedDemoCatalogue } from '../../lib/seed.ts'
import { config, search, uniqueOrderNumber, waitUserTask, withWorkers } from '../helpers.ts'
import { closeBrowser, logIn, newSession, refused, searchOrderNumber, staffRest } from './support.ts'

const { db, start } = withWorkers(test)
test.after(closeBrowser)

test("the warehouse sees none of the workshop's tasks, in Tasklist or by id; the workshop supervisor sees it", async () => {
  await seedDemoCatalogue(db)
  const orderNumber = uniqueOrderNumber('CC')
  const id = await start('contract-order', orderNumber, { order: { orderNumber, ...demoContractOrder() } })
  const task = await waitUserTask(id, 'WORKSHOP_REVIEW')

  const warehouse = staffRest('warehouse')
  assert.equal(await warehouse.get(`/task?processInstanceId=${id}`), [], "the warehouse's task query finds nothing of the order")
  assert.ok(await refused(() => warehouse.get(`/task/${task.key}`)), 'nor can it read the task by id')
  assert.ok(await refused(() => warehouse.get(`/task/${task.key}/form-variables`)), 'nor its form variables')
  assert.ok(await refused(() => warehouse.post(`/task/${task.key}/claim`, { userId: 'warehouse' })), 'nor claim it')
  assert.equal((await search.userTasks(id, 'WORKSHOP_REVIEW')).map((t) => t.key), [task.key], 'the task is still open')
  const workshop = staffRest('workshop-supervisor')
  assert.equal((await workshop.get<{ id: string }[]>(`/task?processInstanceId=${id}`)).map((t) => t.id), [task.key], 'the workshop supervisor sees it')

  const { page, shot, close } = await newSession('candidate-groups')
  try {
    await logIn(page, 'tasklist', 'warehouse', config.STAFF_PASSWORD)
    await page.locator('.task-filter h4.name a').first().waitFor()
    assert.equal(await page.locator('.task-filter h4.name a').allInnerTexts().then((t) => t.map((s) => s.replace(/\s*\d*\s*$/, '').trim())), ['仓库/成品库 warehouse'], 'the warehouse has only its own filter')
    await searchOrderNumber(page, orderNumber)
    await page.getByText('No task matching filters found.').waitFor()
    await shot('warehouse-sees-none')
    // Opened by its address, Tasklist has nothing to show her either.
    await page.goto(page.url().replace(/#\/\?/, `#/?task=${task.key}&`))
    await page.getByText(`No matching task with id ${task.key}`).waitFor()
    assert.is(await page.getByRole('heading', { name: 'Review regular order' }).count(), 0)
    await shot('warehouse-by-address')
  } catch (error) {
    await shot('failed').catch(() => undefined)
    throw error
  } finally {
    await close()
  }
})

test.run()
