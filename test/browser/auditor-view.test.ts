/**
 * The auditor's view in the browser (api/auditor/, served by the API): the auditor logs in with
 * her engine user, finds a finished contract order that went through a change request and a missed
 * deadline, sees the path marked on its diagrams (the order's own and its shipment), opens a step's
 * clause, reads the timeline and downloads the CSV; the customer's name, which holds markup, shows
 * as text. A staff user who is not an auditor is refused. The page is read in English and Chinese.
 */
import { mkdir, readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { projectRoot } from '../../lib/config.ts'
import { seedDemoCatalogue } from '../../lib/seed.ts'
import { calledInstance, config, withWorkers } from '../helpers.ts'
import { keys, openApi } from '../api/support.ts'
import { finishedContractOrder, MARKUP_CUSTOMER } from './auditor-story.ts'
import { closeBrowser, newSession } from './support.ts'
import type { Page } from 'playwright-core'

const { db } = withWorkers(test)
let api: Awaited<ReturnType<typeof openApi>>
let base = ''
let orderNumber = ''
let orderKey = ''
let shipmentKey = ''

test.before(async () => {
  try {
    await seedDemoCatalogue(db)
    api = await openApi({ db })
    await api.app.listen({ host: '127.0.0.1', port: 0 })
    base = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}/auditor/`
    ;({ orderNumber, key: orderKey } = await finishedContractOrder(api.app, db, keys.integrator))
    shipmentKey = await calledInstance(orderKey, 'shipment')
  } catch (error) {
    // uvu reports a failed hook only as tests not run: say why.
    console.error('auditor-view: could not make the finished order:', error)
    throw error
  }
})
test.after(async () => {
  await closeBrowser()
  await api?.close()
})

/** Logs in through the view's own form; waits for the order list or the refusal. */
async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto(base)
  await page.locator('form#login input[name=username]').fill(username)
  await page.locator('form#login input[name=password]').fill(password)
  await page.locator('form#login button[type=submit]').click()
}

/** The README's pictures: the browser's window only (the full pages are in the artifacts). */
const screenshotsDir = path.join(projectRoot, 'docs', 'screenshots')

test('the auditor finds the finished order, sees its path on the diagrams, opens a clause, reads the timeline and downloads the CSV', async () => {
  const { page, shot, close } = await newSession('auditor-view', { width: 1500, height: 1100 })
  const refusedByPolicy: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) refusedByPolicy.push(message.text())
  })
  try {
    await logIn(page, 'auditor', config.STAFF_PASSWORD)
    await page.locator('form#filters').waitFor()

    // Find it: by number, among the orders that missed a deadline.
    await page.locator('form#filters input[name=number]').fill(orderNumber)
    await page.locator('form#filters input[name=missed]').check()
    await page.locator('form#filters button[type=submit]').click()
    const row = page.locator('table.orders tbody tr', { hasText: orderNumber })
    await row.waitFor()
    assert.is(await page.locator('table.orders tbody tr').count(), 1)
    assert.is(await row.locator('td.customer').textContent(), MARKUP_CUSTOMER, 'the name as typed, as text')
    assert.is(await row.locator('td').nth(8).textContent(), '1', 'one breach')
    assert.is.not(await row.locator('td').nth(6).textContent(), 'running', 'finished')
    await mkdir(screenshotsDir, { recursive: true })
    await shot('orders')
    await page.screenshot({ path: path.join(screenshotsDir, 'auditor-orders.png') })

    await row.locator('a').first().click()
    await page.locator('#order-number', { hasText: orderNumber }).waitFor()
    assert.is(await page.locator('#customer-name').textContent(), MARKUP_CUSTOMER)
    assert.is(await page.evaluate(() => (window as unknown as { __injected?: number }).__injected), undefined, 'nothing the customer typed ran')
    assert.is(await page.locator('#customer-name script, #customer-name img, td.customer img').count(), 0)

    // Every instance drawn, the path marked: the order's own and the shipment it called.
    // By instance: an engine that other test runs share may hold older instances with the same business key.
    const order = page.locator(`section.instance[data-instance="${orderKey}"]`)
    const shipment = page.locator(`section.instance[data-instance="${shipmentKey}"]`)
    await page.locator(`section.instance[data-drawn="true"][data-instance="${orderKey}"]`).waitFor()
    await page.locator(`section.instance[data-drawn="true"][data-instance="${shipmentKey}"]`).waitFor()
    assert.is(await order.getAttribute('data-process'), 'contract-order')
    assert.is(await shipment.getAttribute('data-process'), 'shipment')
    const marked = (section: typeof order, id: string, marker: string) => section.locator(`g.djs-element.${marker}[data-element-id="${id}"]`)
    for (const id of ['VALIDATE_ORDER', 'WORKSHOP_REVIEW', 'ASSESS_CHANGE', 'DRAFT_CONTRACT', 'FINANCE_SETTLEMENT', 'ORDER_COMPLETED']) {
      assert.is(await marked(order, id, 'visited').count(), 1, `${id} marked visited`)
    }
    assert.is(await marked(order, 'WORKSHOP_REVIEW', 'breached').count(), 0, 'a breach is an escalation row, the review itself completed')
    assert.is(await marked(order, 'SLA_REGULAR_REVIEW', 'visited').count(), 1, 'the deadline timer that fired is on the path')
    assert.ok(await order.locator('g.djs-connection.taken').count() > 5, 'sequence flows taken are marked')
    assert.is(await marked(order, 'ORDER_DECLINED', 'visited').count(), 0, 'an end not reached is not marked')
    assert.is(await order.locator('g.djs-element.active').count(), 0, 'a finished order waits nowhere')
    for (const id of ['SHIPPING_INSTRUCTION', 'PICK_AND_PACK', 'AWAIT_DELIVERY']) assert.is(await marked(shipment, id, 'visited').count(), 1, `${id} in the shipment`)
    assert.ok((await order.locator('.visit-count').allTextContents()).every((text) => /^×\d+$/.test(text)))

    assert.equal(refusedByPolicy, [], 'the page and bpmn-js work within the CSP')

    // A step's clause, times and actor.
    await order.locator('g.djs-element[data-element-id="WORKSHOP_REVIEW"]').click()
    const panel = page.locator('#element-panel')
    await panel.waitFor()
    assert.match(await panel.locator('.clause').textContent() ?? '', /D1 /)
    assert.match(await panel.textContent() ?? '', /workshop-supervisor/, 'who did it')
    assert.match(await panel.textContent() ?? '', /missed/, 'its 4 h deadline was missed')
    await page.evaluate(() => window.scrollTo(0, 0))
    await shot('story')
    await page.screenshot({ path: path.join(screenshotsDir, 'auditor-order-story.png') })

    // The timeline: the change request, the escalation, each user task with its actor.
    const timeline = page.locator('#timeline')
    assert.ok(await timeline.locator('tr.kind-sla-breach').count() >= 1, 'the escalation is on the timeline')
    assert.ok(await timeline.locator('tr', { hasText: 'ASSESS_CHANGE' }).or(timeline.locator('tr', { hasText: 'Assess change' })).count() >= 1)
    assert.ok(await timeline.locator('td', { hasText: 'order-change-requested' }).or(timeline.locator('td', { hasText: 'changes' })).count() >= 1, 'the change request event')

    // The CSV the API offers, downloaded.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-csv').click()])
    assert.is(download.suggestedFilename(), `${orderNumber}-history.csv`)
    const csv = await readFile(await download.path(), 'utf8')
    assert.ok(csv.startsWith('at,kind,source,processInstanceKey,'), csv.slice(0, 200))
    assert.ok(csv.includes('WORKSHOP_REVIEW') && csv.includes('sla-breach'))

    // In Chinese.
    await page.locator('#language').click()
    await page.locator('h1', { hasText: '订单经过' }).waitFor()
    await page.locator(`section.instance[data-drawn="true"][data-instance="${orderKey}"]`).waitFor()
    await order.locator('g.djs-element[data-element-id="WORKSHOP_REVIEW"]').click()
    await panel.locator('h4', { hasText: '经过' }).waitFor()
    await page.evaluate(() => window.scrollTo(0, 0))
    await shot('story-zh')
    await page.screenshot({ path: path.join(screenshotsDir, 'auditor-order-story-zh-CN.png') })
    await page.locator('#language').click()
    await page.locator('h1', { hasText: 'Story of order' }).waitFor()

    // The deadlines across orders list this breach under its clause and role.
    await page.locator('header a[href="#/deadlines"]').click()
    const deadlines = page.locator('#deadlines tbody tr', { hasText: 'regularReview' })
    await deadlines.first().waitFor()
    assert.ok(await deadlines.filter({ hasText: orderNumber }).count() === 1)
    assert.ok(await deadlines.filter({ hasText: 'workshop-supervisor' }).count() >= 1)
    await shot('deadlines')
    await page.screenshot({ path: path.join(screenshotsDir, 'auditor-deadlines.png') })

    await page.locator('#logout').click()
    await page.locator('form#login').waitFor()
  } finally {
    await close()
  }
})

test('a staff user who is not an auditor is refused', async () => {
  const { page, shot, close } = await newSession('auditor-view-refused')
  try {
    await logIn(page, 'warehouse', config.STAFF_PASSWORD)
    await page.locator('form#login .error', { hasText: 'not in the auditor group' }).waitFor()
    assert.is(await page.locator('form#filters').count(), 0)
    const answer = await page.request.get(`${base}api/orders`)
    assert.is(answer.status(), 401)
    await shot('refused')
  } finally {
    await close()
  }
})

test.run()
