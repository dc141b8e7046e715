/**
 * Browser tests against Operaton's own web apps (Tasklist, Cockpit) of the running engine: Debian's
 * Chromium driven headless by playwright-core (which never downloads a browser), screenshots of
 * every step as artifacts in data/artifacts/browser/, and the staff logins of lib/identity.ts.
 */
import { existsSync } from 'node:fs'
import { mkdir, readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { chromium, type Browser, type Page, type Response } from 'playwright-core'
import { dataDir } from '../../lib/config.ts'
import { createEngineRest, EngineRestError } from '../../lib/engine-rest.ts'
import { roles } from '../../lib/identity.ts'
import * as assert from 'uvu/assert'
import { config, eventually, search } from '../helpers.ts'

/** Debian's Chromium (package chromium), which .ci/run installs. */
export const CHROMIUM = '/usr/bin/chromium'
/** Where the step screenshots go (gitignored; CI keeps them as artifacts). */
export const artifactsDir = path.join(dataDir(config), 'artifacts', 'browser')

export type WebApp = 'tasklist' | 'cockpit' | 'admin' | 'welcome'
/** A route of one of Operaton's web apps, e.g. webApp('cockpit', '#/processes'). */
export const webApp = (app: WebApp, route = '') => `${config.ENGINE_URL}/operaton/app/${app}/default/${route}`

// Flags for a closed network: without the background-networking ones Chromium keeps calling home.
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

let browser: Promise<Browser> | undefined

/**
 * The shared headless browser. Fails — never skips — when Chromium is missing, saying how to
 * install it: CI's `.ci/run` installs Debian's `chromium`.
 */
export function openBrowser(executable = CHROMIUM): Promise<Browser> {
  if (!existsSync(executable)) {
    throw new Error(
      `Chromium not found at ${executable}: the browser tests need Debian's chromium (apt-get install -y chromium; .ci/run installs it). ` +
        'They never download a browser.',
    )
  }
  browser ??= chromium.launch({ executablePath: executable, args: CHROMIUM_FLAGS, headless: true })
  return browser
}

export async function closeBrowser(): Promise<void> {
  const open = browser
  browser = undefined
  await (await open?.catch(() => undefined))?.close()
}

/** The engine's REST API as a staff login (lib/identity.ts: user id = group id, password STAFF_PASSWORD). */
export const staffRest = (user: string) => createEngineRest(config, { user, password: config.STAFF_PASSWORD })

/** The saved Tasklist filter of a group, by the name lib/identity.ts gives it ('车间主管 workshop-supervisor'). */
export function filterName(group: string): string {
  const role = roles.find((r) => r.id === group)
  if (!role) throw new Error(`no role ${group} in lib/identity.ts`)
  return role.name
}

/**
 * The web apps' texts the helpers type into, click and wait for, by the browser's language: the
 * web apps follow it (English, or the project's Chinese translation in engine/, lib/identity.ts).
 */
const ui = {
  en: { locale: 'en-US', menu: 'English', username: 'Username', password: 'Password', logIn: 'Log in', claim: 'Claim', complete: 'Complete', noTaskSelected: 'Select a task in the list.' },
  zh: { locale: 'zh-CN', menu: '中文', username: '用户名', password: '密码', logIn: '登录', claim: '认领', complete: '完成', noTaskSelected: '请在列表中选择一个任务。' },
}
export type Language = keyof typeof ui
const languages = new WeakMap<Page, Language>()
/** The texts of the language the page shows: the browser's (newSession's `language`), or the one chosen in the language menu. */
export const uiText = (page: Page) => ui[languages.get(page) ?? 'en']

/** The project's language menu in a web app's header (engine/…/app/order-flow/scripts/language.js): 中文 / English. */
export const languageMenu = (page: Page) => page.locator('nav.cam-nav li.order-flow-language')

/** The language the menu marks as the one shown. */
export async function shownLanguage(page: Page): Promise<string> {
  return languageMenu(page).locator('a[aria-pressed="true"]').innerText()
}

/**
 * Chooses a language in the web app's language menu, as staff do, and waits for the app to load
 * again in it (its login or header texts in that language); the helpers then use its texts.
 */
export async function chooseLanguage(page: Page, language: Language): Promise<void> {
  const reloaded = page.waitForEvent('load')
  await languageMenu(page).getByRole('button', { name: ui[language].menu, exact: true }).click()
  await reloaded
  languages.set(page, language)
  await languageMenu(page).locator('a[aria-pressed="true"]', { hasText: ui[language].menu }).waitFor()
}

/**
 * A fresh browser context (own cookies, so its own login) and a page in it, with a screenshot
 * helper; `language` is the browser's (navigator.language and Accept-Language), English by default.
 */
export async function newSession(name: string, viewport = { width: 1440, height: 1400 }, language: Language = 'en') {
  const context = await (await openBrowser()).newContext({ viewport, locale: ui[language].locale, timezoneId: 'UTC' })
  const page = await context.newPage()
  languages.set(page, language)
  page.setDefaultTimeout(20000)
  if (process.env.BROWSER_DEBUG) {
    page.on('response', async (r) => { if (r.status() >= 400) console.log('HTTP', r.status(), r.request().method(), r.url(), (await r.text().catch(() => '')).slice(0, 500)) })
    page.on('console', (m) => console.log('console', m.type(), m.text().slice(0, 300)))
    page.on('request', (r) => { if (r.method() !== 'GET') console.log('REQ', r.method(), r.url(), (r.postData() ?? '').slice(0, 1000)) })
  }
  await mkdir(artifactsDir, { recursive: true })
  for (const file of await readdir(artifactsDir)) if (file.startsWith(`${name}-`)) await rm(path.join(artifactsDir, file))
  let step = 0
  return {
    page,
    /** Saves a screenshot `<name>-<nn>-<label>.png` and returns its path. */
    async shot(label: string): Promise<string> {
      step += 1
      const file = path.join(artifactsDir, `${name}-${String(step).padStart(2, '0')}-${label}.png`)
      await page.screenshot({ path: file, fullPage: true })
      return file
    },
    close: () => context.close(),
  }
}

/** Logs in through the web app's own login form, as staff would, and waits for the app behind it. */
export async function logIn(page: Page, app: WebApp, username: string, password: string): Promise<void> {
  // The app settles first (scripts, plugins, its session check, which routes to #/login and may
  // render the login view anew): what is typed into a view about to be replaced is lost.
  await page.goto(webApp(app), { waitUntil: 'networkidle' })
  // Only once AngularJS has compiled the login form (ng-* classes) does it read what is typed.
  // The placeholders are translated texts: once they show, the app's language has loaded too.
  const text = uiText(page)
  const user = page.locator(`form[name="signinForm"] input[placeholder="${text.username}"].ng-pristine`)
  const secret = page.locator(`form[name="signinForm"] input[placeholder="${text.password}"].ng-pristine`)
  const isLogin = (r: Response) => /\/auth\/user\/[^/]+\/login\//.test(r.url()) && r.request().method() === 'POST'
  // The button's text is translated too: it shows once the app's language has loaded and rendered.
  await page.getByRole('button', { name: text.logIn }).waitFor()
  for (let attempt = 1; ; attempt++) {
    await user.fill(username)
    await secret.fill(password)
    const posted = page.waitForResponse(isLogin, { timeout: 10000 }).catch(() => undefined)
    await page.getByRole('button', { name: text.logIn }).click()
    const response = await posted
    if (response && !response.ok()) {
      throw new Error(`${app} refused the login of ${username}: HTTP ${response.status()} ${(await response.text().catch(() => '')).slice(0, 300)}`)
    }
    if (response) break
    // No login request: the form was rendered anew under the typing (its fields empty); type again.
    if (attempt === 3) throw new Error(`${app}'s login form sent nothing for ${username} in ${attempt} attempts`)
  }
  await page.getByPlaceholder(text.password).waitFor({ state: 'detached' })
}

/**
 * As staff do: in Tasklist, opens the group's saved filter and searches it for the order number
 * (Tasklist's search on the process variable `orderNumber`, every instance has it), waits for
 * the task `taskName` to be listed and opens it. Returns the task id Tasklist opened.
 */
export async function openTaskOfOrder(page: Page, group: string, taskName: string, orderNumber: string): Promise<string> {
  await page.locator('.task-filter h4.name a', { hasText: filterName(group) }).click()
  await page.waitForURL(/filter=/)
  await searchOrderNumber(page, orderNumber)
  const task = page.locator('li.task').filter({ has: page.locator('h4.task', { hasText: taskName }) })
  await task.first().waitFor({ timeout: 30000 })
  const count = await task.count()
  if (count !== 1) throw new Error(`${count} "${taskName}" tasks of order ${orderNumber} in ${group}'s filter, expected 1`)
  await task.locator('h4.task a').click()
  await page.waitForURL(/[?&]task=/)
  await page.locator('.fjs-container').waitFor()
  return new URL(page.url().replace('#/', '')).searchParams.get('task') ?? ''
}

/** Tasklist's search box: process variable orderNumber = `orderNumber` (as a typed search). */
export async function searchOrderNumber(page: Page, orderNumber: string): Promise<void> {
  const url = new URL(page.url())
  const hash = new URLSearchParams(url.hash.replace(/^#\/?\??/, ''))
  hash.set('searchQuery', JSON.stringify([{ type: 'processVariables', operator: 'eq', value: orderNumber, name: 'orderNumber' }]))
  hash.delete('task')
  await page.goto(`${url.origin}${url.pathname}#/?${hash.toString()}`)
  await page.locator('.search-field').filter({ hasText: orderNumber }).waitFor()
}

/** Tasklist's Complete button of the open task (disabled until the task is hers and the form valid). */
export const completeButton = (page: Page) => page.locator('.form-actions button.btn-primary', { hasText: uiText(page).complete })

/** Claims the open task in Tasklist and waits until Tasklist shows her as its assignee. */
export async function claim(page: Page): Promise<void> {
  const claimButton = page.getByRole('button', { name: uiText(page).claim, exact: true })
  await claimButton.click()
  await claimButton.waitFor({ state: 'detached' })
  await page.locator('.assignee').filter({ hasText: /\S/ }).first().waitFor()
}

/** Clicks Complete and waits until Tasklist has submitted the form and closed the task. */
export async function complete(page: Page): Promise<void> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => /\/task\/[^/]+\/submit-form$/.test(r.url()) && r.request().method() === 'POST'),
    completeButton(page).click(),
  ])
  if (response.status() !== 204) throw new Error(`Tasklist's submit-form answered ${response.status()}: ${(await response.text()).slice(0, 500)}`)
  await page.getByText(uiText(page).noTaskSelected).waitFor()
}

/** True when `call` is refused for lack of rights (403) or finds nothing to show (404). */
export async function refused(call: () => Promise<unknown>): Promise<number | undefined> {
  try {
    await call()
    return undefined
  } catch (error) {
    if (error instanceof EngineRestError && (error.status === 403 || error.status === 404)) return error.status
    throw error
  }
}

/** Waits until the task has ended (completed) in the engine's history; returns its history row. */
export function taskEnded(taskId: string) {
  return eventually(`task ${taskId} to be completed`, async () => {
    const [task] = await createEngineRest(config).get<{ id: string; endTime: string | null; deleteReason: string | null; assignee: string | null }[]>(`/history/task?taskId=${taskId}`)
    return task?.endTime ? task : undefined
  })
}

/**
 * After the workshop supervisor completed her review in Tasklist: the engine has the task
 * completed by her, the review as she entered it (feasible by 2027-03-15, `note`), and the order
 * moved on past the review to its quote.
 */
export async function expectWorkshopReviewDone(processInstanceId: string, taskId: string, note: string): Promise<void> {
  const done = await taskEnded(taskId)
  assert.is(done.assignee, 'workshop-supervisor')
  assert.equal((await search.variables(processInstanceId)).workshopReview, { deliveryDate: '2027-03-15', decision: 'feasible', note })
  await eventually('the order past the workshop review to its quote', async () => {
    const nodes = await search.flowNodes(processInstanceId)
    return nodes.some((n) => n.flowNodeId === 'WORKSHOP_REVIEW' && n.state === 'COMPLETED') && nodes.some((n) => n.flowNodeId === 'QUOTE_CALCULATE')
  })
}
