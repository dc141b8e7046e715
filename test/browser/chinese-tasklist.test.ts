/**
 * Staff work in Chinese: a browser whose language is Simplified Chinese (zh-CN) gets Tasklist in
 * the project's translation (engine/, locales/zh.json), with Chinese dates and relative times; a
 * workshop supervisor logs in, finds her group's filter by its Chinese name, claims the order's
 * review task, reads its form in Chinese and English, enters the delivery date as YYYY-MM-DD (the
 * date field shows it so) and completes it; the order moves on.
 */
import { copyFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { projectRoot } from '../../lib/config.ts'
import { demoContractOrder, seedDemoCatalogue } from '../../lib/seed.ts'
import { config, eventually, uniqueOrderNumber, waitUserTask, withWorkers } from '../helpers.ts'
import { claim, closeBrowser, complete, completeButton, expectWorkshopReviewDone, logIn, newSession, openTaskOfOrder, shownLanguage } from './support.ts'

const { db, start } = withWorkers(test)
test.after(closeBrowser)

test('a workshop supervisor with a Chinese browser works in the Chinese Tasklist: claims and completes the review of an order', async () => {
  await seedDemoCatalogue(db)
  const orderNumber = uniqueOrderNumber('ZH')
  const id = await start('contract-order', orderNumber, { order: { orderNumber, ...demoContractOrder() } })
  const engineTask = await waitUserTask(id, 'WORKSHOP_REVIEW')

  const { page, shot, close } = await newSession('chinese-tasklist', { width: 1440, height: 1400 }, 'zh')
  try {
    assert.is(await page.evaluate(() => navigator.language), 'zh-CN')
    const localeFiles: string[] = []
    page.on('request', (request) => {
      const file = /\/app\/tasklist\/locales\/(\w+)\.json/.exec(request.url())?.[1]
      if (file) localeFiles.push(file)
    })
    await logIn(page, 'tasklist', 'workshop-supervisor', config.STAFF_PASSWORD)
    await page.locator('li.task').first().waitFor()
    // Her group's filter under its Chinese name with the group id; the task list in Chinese.
    assert.is(await shownLanguage(page), '中文', 'the language menu marks Chinese, the browser\'s language')
    assert.equal(await page.locator('.task-filter h4.name a').allInnerTexts().then((t) => t.map((s) => s.replace(/\s*\d*\s*$/, '').trim())), ['车间主管 workshop-supervisor'])
    const screen = await page.locator('body').innerText()
    for (const text of ['启动流程', '创建任务', '请在列表中选择一个任务。', '日期和时间按本地时区显示']) assert.match(screen, text, 'Tasklist is in Chinese')
    assert.not.match(screen, /Start process|Create task|Select a task/, 'no English label of Tasklist left')
    // Due, follow-up and created as moment's relative times from zh.json's dateLocales. Only the
    // Chinese file loads (the project's language script): with the English fallback loaded too,
    // the slower of the two would set moment's locale, English in some runs.
    assert.equal([...new Set(localeFiles)], ['zh'], 'Tasklist in Chinese loads only its Chinese locale file')
    await eventually('relative times in Chinese in the task list', async () =>
      /到期 \d+ (小时|天)后.*创建时间 (几秒|\d+ 分钟)前/.test(await page.locator('li.task').first().innerText()), 15000)
    await shot('task-list')

    const taskId = await openTaskOfOrder(page, 'workshop-supervisor', 'Review regular order', orderNumber)
    assert.is(taskId, engineTask.key, 'Tasklist opened the engine task of this order')
    const details = await page.locator('.task-details, [cam-tasklist-task]').first().innerText()
    assert.match(details, '认领', 'the Claim button reads 认领')
    assert.match(details, '车间主管 workshop-supervisor', 'the task names its candidate group in Chinese')

    await claim(page)
    assert.match(await completeButton(page).innerText(), '完成')
    // The form's fields in Chinese with their English kept.
    const form = await page.locator('.fjs-container').innerText()
    for (const text of ['车间评审 Workshop review', '能否满足客户要求的交货日期？ Can the requested delivery date be met?']) assert.match(form, text)
    const date = page.getByLabel(/Delivery date the workshop can meet/)
    assert.is(await date.getAttribute('placeholder'), 'yyyy-mm-dd', 'the date field asks for YYYY-MM-DD')
    await date.fill('2027-03-15')
    await page.keyboard.press('Enter')
    await page.getByText('可以，可行 Yes, feasible').click()
    await page.getByLabel(/^备注（物料、产能、需采购的零件）/).fill('第10周产能空闲，机柜有库存。')
    const shown = await date.inputValue()
    await copyFile(await shot('filled-form'), path.join(projectRoot, 'docs', 'screenshots', 'tasklist-zh-CN.png'))
    // form-js would format its date fields in the browser's date order (zh-CN: 2027/3/15); the
    // project's language script makes it the ISO date, as typed and as stored.
    assert.is(shown, '2027-03-15', 'the date field shows YYYY-MM-DD')
    await complete(page)
    await shot('completed')
  } catch (error) {
    await shot('failed').catch(() => undefined)
    throw error
  } finally {
    await close()
  }

  await expectWorkshopReviewDone(id, engineTask.key, '第10周产能空闲，机柜有库存。')
})

test('English stays: a browser in English gets Tasklist in English', async () => {
  const { page, close } = await newSession('english-tasklist')
  try {
    await logIn(page, 'tasklist', 'workshop-supervisor', config.STAFF_PASSWORD)
    await page.locator('.task-filter h4.name a').first().waitFor()
    assert.match(await page.locator('body').innerText(), 'Start process')
  } finally {
    await close()
  }
})

test.run()
