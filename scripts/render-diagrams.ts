/**
 * npm run diagrams — renders every processes/*.bpmn to docs/diagrams/<process-id>.svg with the
 * bpmn-js viewer in headless Chromium, so the diagrams can be read (and reviewed in a diff)
 * without Camunda Modeler. Uses Debian's /usr/bin/chromium driven by playwright-core; it never
 * downloads a browser. SVGs of processes that no longer exist are removed.
 */
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { projectRoot } from '../lib/config.ts'
import { loadModel } from '../lib/model.ts'

/** Debian's Chromium; playwright-core drives it, nothing else is fetched. */
const chromiumPath = '/usr/bin/chromium'
const outputDir = path.join(projectRoot, 'docs', 'diagrams')
const viewerScript = createRequire(import.meta.url).resolve('bpmn-js/dist/bpmn-viewer.production.min.js')

if (!existsSync(chromiumPath)) {
  console.error(`${chromiumPath} is missing: the diagrams are rendered in Debian's Chromium.
Install it with:  sudo apt-get update && sudo apt-get install -y chromium`)
  process.exit(1)
}

interface Rendered {
  svg?: string
  warnings: string[]
  error?: string
}

declare global {
  interface Window {
    renderBpmn(xml: string): Promise<Rendered>
  }
}

const model = await loadModel()
const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
})
let failed = 0
try {
  const page = await browser.newPage()
  await page.setContent('<!doctype html><html><body><div id="canvas" style="width:1600px;height:1000px"></div></body></html>')
  await page.addScriptTag({ path: viewerScript })
  await page.addScriptTag({
    content: `
      window.renderBpmn = async (xml) => {
        const viewer = new BpmnJS({ container: '#canvas' })
        try {
          const { warnings } = await viewer.importXML(xml)
          const { svg } = await viewer.saveSVG()
          return { svg, warnings: warnings.map((w) => w.message) }
        } catch (error) {
          return { error: error.message, warnings: (error.warnings || []).map((w) => w.message) }
        } finally {
          viewer.destroy()
        }
      }`,
  })

  await mkdir(outputDir, { recursive: true })
  const idOf = (file: string) => model.processes.find((p) => p.file === file)?.id ?? path.basename(file, '.bpmn')
  const expected = new Set(model.bpmnFiles.map((file) => `${idOf(file)}.svg`))
  for (const file of model.bpmnFiles) {
    const id = idOf(file)
    const xml = await readFile(path.join(projectRoot, file), 'utf8')
    const { svg, warnings, error } = await page.evaluate((text) => window.renderBpmn(text), xml)
    for (const warning of warnings) console.warn(`${file}: import warning: ${warning.split('\n')[0]}`)
    if (!svg) {
      console.error(`${file}: not rendered: ${error}`)
      failed++
      continue
    }
    const target = path.join(outputDir, `${id}.svg`)
    await writeFile(target, `${svg}\n`)
    console.log(`${file} → ${path.relative(projectRoot, target)}`)
  }
  for (const name of await readdir(outputDir)) {
    if (name.endsWith('.svg') && !expected.has(name)) {
      await rm(path.join(outputDir, name))
      console.log(`removed docs/diagrams/${name} (no such process any more)`)
    }
  }
} finally {
  await browser.close()
}
if (failed) process.exitCode = 1
