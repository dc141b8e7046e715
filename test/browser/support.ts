/**
 * Browser tests against the real Tasklist and Operate: Debian's Chromium driven headless by
 * playwright-core (which never downloads a browser), screenshots of every step as artifacts in
 * data/artifacts/browser/, and the staff logins of lib/staff.ts.
 */
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { dataDir } from '../../lib/config.ts'
import { enginePaths, logTail, ports } from '../../lib/engine.ts'
import { recordedUserTasks } from '../../lib/engine-records.ts'
import { ensureStaffUsers } from '../../lib/staff.ts'
import { config, eventually, rest } from '../helpers.ts'

/** Debian's Chromium (package chromium), which .ci/run installs. */
export const CHROMIUM = '/usr/bin/chromium'
/** Where the step screenshots go (gitignored; CI keeps them as artifacts). */
export const artifactsDir = path.join(dataDir(config), 'artifacts', 'browser')
export const webApp = (app: 'tasklist' | 'operate', route = '') => `${config.CAMUNDA_REST_ADDRESS}/${app}${route}`

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
let usersReady: Promise<unknown> | undefined

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

/**
 * The staff logins (idempotent; once per test process); for Tasklist also a Tasklist that can
 * claim and complete tasks: an engine started by this checkout, with the Tasklist bridge running.
 */
export async function staffReady(app: 'tasklist' | 'operate'): Promise<void> {
  if (app === 'tasklist') {
    const written = await readFile(enginePaths(config).camundaConfig, 'utf8').catch(() => '')
    const bridge = await fetch(`http://127.0.0.1:${ports.tasklistBridge}/`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined)
    if (!written.includes(`127.0.0.1:${ports.tasklistBridge}`) || bridge?.status !== 404) {
      throw new Error(
        `the running engine's Tasklist cannot claim or complete tasks: it was started without the Tasklist bridge (lib/tasklist-bridge.ts, port ${ports.tasklistBridge}). ` +
          'Restart it with this checkout: npm run engine -- stop && npm run engine -- start',
      )
    }
  }
  usersReady ??= ensureStaffUsers(config)
  await usersReady
}

/** A fresh browser context (own cookies, so its own login) and a page in it, with a screenshot helper. */
export async function newSession(name: string, viewport = { width: 1440, height: 1300 }) {
  // Notifications allowed: otherwise Tasklist offers them in a banner that pushes its Complete
  // button below the window.
  const context = await (await openBrowser()).newContext({ viewport, locale: 'en-US', permissions: ['notifications'] })
  const page = await context.newPage()
  page.setDefaultTimeout(20000)
  if (process.env.BROWSER_DEBUG) {
    page.on('response', async (r) => { if (r.status() >= 400) console.log('HTTP', r.status(), r.request().method(), r.url(), (await r.text().catch(() => '')).slice(0, 500)) })
    page.on('console', (m) => console.log('console', m.type(), m.text().slice(0, 300)))
    page.on('request', (r) => { if (r.method() !== 'GET') console.log('REQ', r.method(), r.url(), (r.postData() ?? '').slice(0, 300)) })
  }
  await mkdir(artifactsDir, { recursive: true })
  for (const file of await readdir(artifactsDir)) if (file.startsWith(`${name}-`)) await rm(path.join(artifactsDir, file))
  let step = 0
  return {
    page,
    /** Saves a full-page screenshot `<name>-<nn>-<label>.png` and returns its path. */
    async shot(label: string): Promise<string> {
      step += 1
      const file = path.join(artifactsDir, `${name}-${String(step).padStart(2, '0')}-${label}.png`)
      await page.screenshot({ path: file, fullPage: true })
      return file
    },
    close: () => context.close(),
  }
}

/** Logs in through the web app's own login page, as staff would. */
export async function logIn(page: Page, app: 'tasklist' | 'operate', username: string, password: string): Promise<void> {
  await page.goto(webApp(app, '/login'))
  await page.getByRole('textbox', { name: 'Username' }).fill(username)
  await page.getByRole('textbox', { name: 'Password' }).fill(password)
  await page.getByRole('button', { name: 'Login' }).click()
  await page.waitForURL((url) => !url.pathname.endsWith('/login'), { timeout: 20000 })
}

/**
 * Waits until Tasklist's own search (what its task list calls) has the open task of `elementId`
 * in the instance. Camunda 8.6.0's Tasklist importer stops for good on a user task created on a
 * whole second (camunda/camunda#27237) unless the engine was started with the widened list view
 * (lib/engine-tasklist-dates.ts); the engine then has the task but Tasklist never shows it. This
 * fails saying so, with the importer's error from the engine log when there is one.
 */
export async function tasklistShows(processInstanceKey: string, elementId: string, timeoutMs = 60000): Promise<string> {
  try {
    return await eventually(
      `Tasklist to list ${elementId} of instance ${processInstanceKey}`,
      async () => {
        const tasks = await rest.post<{ id: string; taskState: string }[]>('/v1/tasks/search', {
          processInstanceKey,
          taskDefinitionId: elementId,
          state: 'CREATED',
        })
        return tasks[0]?.id
      },
      timeoutMs,
    )
  } catch (error) {
    const stuck = (await logTail(enginePaths(config).camundaLog, 4000))
      .split('\n')
      .filter((line) => /failed to parse (field|date field)/.test(line))
      .slice(-1)[0]
    throw new Error(
      `the engine has user task ${elementId} of instance ${processInstanceKey}, but Tasklist does not list it after ${timeoutMs / 1000} s: ` +
        (stuck
          ? `Tasklist's importer is stuck on a user task created on a whole second (camunda/camunda#27237, Camunda 8.6.0). Engine log: ${stuck.trim().slice(0, 400)}`
          : `Tasklist's importer is behind or stopped; camunda/camunda#27237 (a user task created on a whole second) is the known cause in 8.6.0. ${(error as Error).message}`) +
        '. lib/engine-tasklist-dates.ts prevents this when the engine starts: an engine started before it needs `npm run engine -- stop` and `start`.',
    )
  }
}

/** The open user task of `elementId` in the instance, as the engine recorded it. */
export async function openTask(processInstanceKey: string, elementId: string) {
  const [task] = await eventually(`user task ${elementId} in instance ${processInstanceKey}`, async () => {
    const tasks = await recordedUserTasks(processInstanceKey, elementId)
    return tasks.length > 0 && tasks
  })
  return task
}

/**
 * As staff do: opens the open tasks of `group` in Tasklist (newest first) and opens one task after
 * the other until its form shows `orderNumber`. Returns the task's Tasklist id.
 */
export async function openTaskOfOrder(page: Page, group: string, taskName: string, orderNumber: string, timeoutMs = 60000): Promise<string> {
  const queue = webApp('tasklist', `?filter=custom&state=CREATED&candidateGroup=${encodeURIComponent(group)}&sortBy=creation&sortOrder=desc`)
  const deadline = Date.now() + timeoutMs
  const seen = new Set<string>()
  while (Date.now() < deadline) {
    await page.goto(queue)
    const tasks = page.locator('a[href]', { hasText: taskName })
    // An empty queue shows no link: wait a little, then look again.
    await tasks.first().waitFor({ timeout: 10000 }).catch(() => undefined)
    const hrefs = await tasks.evaluateAll((anchors) => anchors.map((a) => a.getAttribute('href') ?? ''))
    const ids = hrefs.map((href) => /\/(\d+)(\?|$)/.exec(href)?.[1]).filter((id): id is string => !!id && !seen.has(id))
    for (const id of ids.slice(0, 10)) {
      await page.locator(`a[href*="/${id}"]`).first().click()
      const form = page.locator('.fjs-container')
      await form.waitFor()
      await page.getByText(/^Order /).first().waitFor({ timeout: 5000 }).catch(() => undefined)
      // The order number is in the form's text or in one of its (read-only) fields.
      const values = await form.locator('input').evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value))
      if ([await form.innerText(), ...values].some((text) => text.includes(orderNumber))) return id
      seen.add(id)
    }
    await page.waitForTimeout(2000)
  }
  throw new Error(`no open "${taskName}" task of order ${orderNumber} in ${group}'s Tasklist queue after ${timeoutMs / 1000} s (opened: ${[...seen].join(', ') || 'none'})`)
}
