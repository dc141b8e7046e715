/**
 * Staff choose their language in the web apps' header: the project's language menu (中文 /
 * English, engine/…/app/order-flow/scripts/language.js, a custom script of each app's config.js)
 * keeps the choice in the browser and loads the app again in it, whatever the browser's own
 * language. A user with an English browser switches Tasklist to Chinese and back; the choice holds
 * in Cockpit, Admin and Welcome, which have the same menu. Relative times (moment) follow the
 * language too.
 */
import { copyFile } from 'node:fs/promises'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { projectRoot } from '../../lib/config.ts'
import { cancelInstance, config, deployResources, eventually, oneTaskProcess, startInstance, uniqueOrderNumber } from '../helpers.ts'
import { chooseLanguage, closeBrowser, languageMenu, logIn, newSession, shownLanguage, uiText, webApp } from './support.ts'

test.after(closeBrowser)

// The test's own process: one task for the workshop, so her list shows a task with its relative times.
const PROCESS = 'browser-language-menu'
const bpmn = oneTaskProcess(PROCESS, { taskId: 'CHECK_LANGUAGE', name: 'Check the language', candidateGroups: 'workshop-supervisor', historyTimeToLive: 1 })

const storedChoice = (page: Page) => page.evaluate(() => window.localStorage.getItem('order-flow.language'))
/** Texts the app shows as their translation keys (CREATION_DATE): looked up before the language's file was there. */
const untranslated = async (page: Page) => (await page.locator('body').innerText()).match(/\b[A-Z]+(?:_[A-Z]+)+\b/g) ?? []

test('a user with an English browser switches Tasklist to 中文 and back to English', async () => {
  await deployResources(PROCESS, { [`${PROCESS}.bpmn`]: bpmn })
  const orderNumber = uniqueOrderNumber('LANG')
  const id = await startInstance(PROCESS, orderNumber, {})
  const { page, shot, close } = await newSession('language-menu')
  // Her task's card: its relative times follow the language (moment's locale).
  const card = () => page.locator('li.task', { hasText: orderNumber }).innerText()
  try {
    assert.is(await page.evaluate(() => navigator.language), 'en-US')
    await logIn(page, 'tasklist', 'workshop-supervisor', config.STAFF_PASSWORD)
    const filter = page.locator('.task-filter h4.name a', { hasText: '车间主管 workshop-supervisor' })
    await filter.waitFor()
    await page.getByText('Start process').waitFor()
    assert.is(await languageMenu(page).innerText(), '中文 / English', 'the menu offers both languages')
    assert.is(await shownLanguage(page), 'English')
    assert.is(await storedChoice(page), null, 'nothing chosen yet: the browser language rules')
    assert.match(await card(), /Created a few seconds ago|Created \d+ minutes? ago/)

    const localeFiles: string[] = []
    page.on('request', (request) => {
      const file = /\/app\/tasklist\/locales\/(\w+)\.json/.exec(request.url())?.[1]
      if (file) localeFiles.push(file)
    })
    await chooseLanguage(page, 'zh')
    await page.getByText('启动流程').waitFor()
    await filter.waitFor()
    // Chinese alone: with English loaded too, whichever file arrived last would set the language of
    // the relative times (moment's locale), English when en.json is the slower.
    assert.equal([...new Set(localeFiles)], ['zh'], 'Tasklist in Chinese loads only its Chinese locale file')
    const screen = await page.locator('body').innerText()
    for (const text of ['启动流程', '创建任务', '请在列表中选择一个任务。', '日期和时间按本地时区显示']) assert.match(screen, text, 'Tasklist is in Chinese')
    assert.not.match(screen, /Start process|Create task|Select a task/, 'no English label of Tasklist left')
    assert.is(await shownLanguage(page), '中文')
    await page.getByPlaceholder('筛选任务').waitFor()
    assert.equal(await untranslated(page), [], 'every text translated, none shown as its key')
    assert.is(await storedChoice(page), 'zh')
    assert.is(await page.evaluate(() => document.documentElement.lang), 'zh-CN')
    await eventually('relative times in Chinese', async () => /创建时间 (几秒|\d+ 分钟)前/.test(await card()), 15000)
    await copyFile(await shot('chinese'), path.join(projectRoot, 'docs', 'screenshots', 'tasklist-language-menu.png'))

    // Still Chinese after opening Tasklist anew (its translations now cached in the browser): the choice is kept.
    await page.goto(webApp('tasklist'), { waitUntil: 'networkidle' })
    await page.getByText('启动流程').waitFor()
    await eventually('relative times in Chinese again', async () => /创建时间 (几秒|\d+ 分钟)前/.test(await card()), 15000)
    assert.not.match(await card(), /ago|Created/)

    await chooseLanguage(page, 'en')
    await page.getByText('Start process').waitFor()
    assert.not.match(await page.locator('body').innerText(), /启动流程|创建任务/, 'no Chinese label of Tasklist left')
    assert.is(await shownLanguage(page), 'English')
    await page.getByPlaceholder('Filter Tasks').waitFor()
    assert.equal(await untranslated(page), [], 'every text translated, none shown as its key')
    assert.is(await storedChoice(page), 'en')
    await eventually('relative times in English', async () => /Created (a few seconds|\d+ minutes?) ago/.test(await card()), 15000)
    await shot('english')
  } catch (error) {
    await shot('failed').catch(() => undefined)
    throw error
  } finally {
    await close()
    await cancelInstance(id)
  }
})

test('the choice holds in Cockpit, Admin and Welcome, each with the same menu; English is chosen back in Admin', async () => {
  const { page, shot, close } = await newSession('language-menu-apps')
  const openLoginPage = async (app: 'tasklist' | 'cockpit' | 'admin' | 'welcome') => {
    await page.goto(webApp(app), { waitUntil: 'networkidle' })
    await page.getByRole('button', { name: uiText(page).logIn }).waitFor()
    await page.getByPlaceholder(uiText(page).username).waitFor()
  }
  try {
    await openLoginPage('tasklist')
    await chooseLanguage(page, 'zh')
    for (const app of ['cockpit', 'welcome', 'admin'] as const) {
      await openLoginPage(app)
      assert.is(await shownLanguage(page), '中文', `${app} shows the chosen language`)
      await shot(`${app}-chinese`)
    }
    await chooseLanguage(page, 'en')
    await page.getByRole('button', { name: 'Log in' }).waitFor()
    await openLoginPage('cockpit')
    assert.is(await shownLanguage(page), 'English')
    await shot('cockpit-english')
  } catch (error) {
    await shot('failed').catch(() => undefined)
    throw error
  } finally {
    await close()
  }
})

test.run()
