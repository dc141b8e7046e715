/**
 * The auditor view's order page under a long story: one order with 4 process instances
 * (scripts/bench/story.bpmn: a root that calls itself 3 times, every instance running its step
 * loop) and order_events rows, together about 300 timeline rows. Measures, against the API served
 * on a port of its own, (1) the story answer the page loads (`GET /auditor/api/orders/:n`) and
 * (2) the whole page in headless Chromium (Debian's, as the browser tests): from navigation until
 * every diagram is drawn and marked and the timeline is on the page. Repeated; the first load is
 * counted too (the definitions' documentation is read once per process definition and cached).
 */
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Knex } from 'knex'
import { chromium } from 'playwright-core'
import { createApiEngine } from '../../api/engine.ts'
import { buildApi } from '../../api/server.ts'
import type { Config } from '../../lib/config.ts'
import { toEngineVariables, type EngineRest } from '../../lib/engine-rest.ts'
import { summarise, type Summary } from './stats.ts'

/** The process id of scripts/bench/story.bpmn. */
export const storyProcess = 'bench-auditor-story'
const storyFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'story.bpmn')

/** What the order page measurement reports. */
export interface AuditorPageFigures {
  instances: number
  historyRows: number
  /** GET /auditor/api/orders/:n over HTTP: the story the page loads. */
  storyAnswerMs: Summary
  /** Navigation → every diagram drawn and the timeline rendered, in headless Chromium. */
  pageMs: Summary
}

/** Deploys the story diagram (unchanged: the engine keeps its version). */
export async function deployStory(rest: EngineRest): Promise<void> {
  const form = new FormData()
  form.append('deployment-name', 'order-flow-bench-auditor-story')
  form.append('enable-duplicate-filtering', 'true')
  form.append('story.bpmn', new Blob([await readFile(storyFile, 'utf8')]), 'story.bpmn')
  await rest.post('/deployment/create', form)
}

/**
 * Makes the order (its row, 4 instances, `events` order_events rows), serves the API, logs in as
 * the auditor and loads the story and the page `runs` times each.
 */
export async function measureAuditorPage(options: {
  config: Config
  db: Knex
  rest: EngineRest
  runId: string
  runs: number
  chromiumPath?: string
  steps?: number
  events?: number
}): Promise<AuditorPageFigures> {
  const { config, db, rest, runs, steps = 22, events = 20 } = options
  await deployStory(rest)
  // Its own prefix: the business key must not meet any other order's instances on a shared engine.
  const orderNumber = `BA-2026-${options.runId}`
  const started = await rest.post<{ id: string }>(`/process-definition/key/${storyProcess}/start`, {
    businessKey: orderNumber,
    variables: toEngineVariables({ orderNumber, steps, parts: 3, i: 0 }),
  })
  await db('orders').insert({ order_number: orderNumber, channel: 'contract', priority: 'normal', status: 'completed', customer_name: 'Benchmark customer', data: {}, process_instance_key: started.id })
  await db('order_events').insert(Array.from({ length: events }, (_, n) => ({
    order_number: orderNumber, process_instance_key: started.id, step: `bench-event-${n}`, actor: 'bench', outcome: 'recorded', clause: 'D1 第4条 2', details: { n },
  })))

  const app = await buildApi({ config, db, engine: createApiEngine(config) })
  const browser = await chromium.launch({ executablePath: options.chromiumPath ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'] })
  try {
    await app.listen({ host: '127.0.0.1', port: 0 })
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/auditor`
    const login = await fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'auditor', password: config.STAFF_PASSWORD }) })
    if (!login.ok) throw new Error(`bench: the auditor login answered ${login.status}: ${await login.text()}`)
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]

    const storyAnswerMs: number[] = []
    let story: { instances: unknown[]; history: { items: unknown[] } } | undefined
    for (let run = 0; run < runs; run++) {
      const start = performance.now()
      const answer = await fetch(`${base}/api/orders/${orderNumber}`, { headers: { cookie } })
      story = await answer.json()
      storyAnswerMs.push(performance.now() - start)
      if (!answer.ok) throw new Error(`bench: the story answered ${answer.status}`)
    }

    const context = await browser.newContext({ viewport: { width: 1500, height: 1100 } })
    await context.addCookies([{ name: cookie.split('=')[0], value: cookie.split('=').slice(1).join('='), url: base }])
    const page = await context.newPage()
    const pageMs: number[] = []
    const rows = story!.history.items.length
    for (let run = 0; run < runs; run++) {
      await page.goto('about:blank')
      const start = performance.now()
      await page.goto(`${base}/#/orders/${orderNumber}`)
      await page.waitForFunction(([instances, items]) =>
        document.querySelectorAll('section.instance[data-drawn="true"]').length === instances &&
        document.querySelectorAll('#timeline tbody tr').length === items, [story!.instances.length, rows] as const, { timeout: 60000 })
      pageMs.push(performance.now() - start)
    }
    await context.close()
    return { instances: story!.instances.length, historyRows: rows, storyAnswerMs: summarise(storyAnswerMs), pageMs: summarise(pageMs) }
  } finally {
    await browser.close()
    await app.close()
  }
}
