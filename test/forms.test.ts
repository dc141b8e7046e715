/** The forms as Tasklist's form-js reads them: FEEL texts that render as intended. */
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { projectRoot } from '../lib/config.ts'

const formsDir = path.join(projectRoot, 'forms')

async function feelTexts(): Promise<{ file: string; id: string; text: string }[]> {
  const found: { file: string; id: string; text: string }[] = []
  const walk = (file: string, node: unknown) => {
    if (Array.isArray(node)) node.forEach((child) => walk(file, child))
    else if (node && typeof node === 'object') {
      const component = node as { id?: string; text?: unknown; components?: unknown }
      if (typeof component.text === 'string' && component.text.startsWith('=')) found.push({ file, id: component.id ?? '?', text: component.text })
      Object.values(component).forEach((child) => walk(file, child))
    }
  }
  for (const file of (await readdir(formsDir)).filter((name) => name.endsWith('.form'))) {
    walk(file, JSON.parse(await readFile(path.join(formsDir, file), 'utf8')))
  }
  return found
}

test('FEEL texts break lines with \\u00000A, never \\n (which Tasklist shows as is) nor the four-digit \\u000A', async () => {
  const texts = await feelTexts()
  assert.ok(texts.length > 0, 'the forms have FEEL texts')
  const wrong = texts.filter(({ text }) => /\\n|\\u000A/i.test(text.replace(/\\u00000A/gi, '')))
  assert.equal(wrong.map(({ file, id }) => `${file} ${id}`), [])
})

test.run()
