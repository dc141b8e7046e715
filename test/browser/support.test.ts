import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CHROMIUM, closeBrowser, openBrowser } from './support.ts'

test.after(closeBrowser)

test('without Chromium the browser tests fail, saying how to install it (they never skip or download one)', () => {
  assert.throws(() => openBrowser('/nonexistent/chromium'), /Chromium not found at \/nonexistent\/chromium: .*apt-get install -y chromium; \.ci\/run installs it/)
})

test("Debian's Chromium starts headless and renders a page", async () => {
  const browser = await openBrowser()
  const page = await browser.newPage()
  await page.setContent('<h1>order-flow</h1>')
  assert.is(await page.locator('h1').innerText(), 'order-flow')
  assert.match(browser.version(), /^\d+\./)
  assert.ok(CHROMIUM.startsWith('/usr/bin/'))
  await page.close()
})

test.run()
