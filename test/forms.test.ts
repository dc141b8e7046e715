/**
 * The forms as Tasklist's form-js reads them: FEEL texts that render as intended, and every text a
 * field shows staff in Chinese with its English kept (`交货日期 Delivery date`).
 */
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { projectRoot } from '../lib/config.ts'

const formsDir = path.join(projectRoot, 'forms')

type Node = { file: string; node: Record<string, unknown> }

/** Every object of every form (components, option values, ...), with its file. */
async function formNodes(): Promise<Node[]> {
  const found: Node[] = []
  const walk = (file: string, node: unknown) => {
    if (Array.isArray(node)) node.forEach((child) => walk(file, child))
    else if (node && typeof node === 'object') {
      found.push({ file, node: node as Record<string, unknown> })
      Object.values(node).forEach((child) => walk(file, child))
    }
  }
  for (const file of (await readdir(formsDir)).filter((name) => name.endsWith('.form'))) {
    walk(file, JSON.parse(await readFile(path.join(formsDir, file), 'utf8')))
  }
  return found
}

async function feelTexts(): Promise<{ file: string; id: string; text: string }[]> {
  return (await formNodes())
    .filter(({ node }) => typeof node.text === 'string' && node.text.startsWith('='))
    .map(({ file, node }) => ({ file, id: String(node.id ?? '?'), text: node.text as string }))
}

/** The texts form-js shows for a field: its label (date and time labels of a datetime field), description, placeholder; an option's label. */
const shownTexts = ['label', 'dateLabel', 'timeLabel', 'description', 'placeholder'] as const

test('FEEL texts break lines with \\u00000A, never \\n (which Tasklist shows as is) nor the four-digit \\u000A', async () => {
  const texts = await feelTexts()
  assert.ok(texts.length > 0, 'the forms have FEEL texts')
  const wrong = texts.filter(({ text }) => /\\n|\\u000A/i.test(text.replace(/\\u00000A/gi, '')))
  assert.equal(wrong.map(({ file, id }) => `${file} ${id}`), [])
})

test('every label, description and option label is in Chinese with the English kept', async () => {
  const texts = (await formNodes()).flatMap(({ file, node }) =>
    shownTexts.filter((key) => typeof node[key] === 'string' && (node[key] as string).trim() !== '').map((key) => ({ file, key, text: node[key] as string })),
  )
  assert.ok(texts.length > 400, `the forms' field texts are found (${texts.length})`)
  assert.ok(texts.some(({ key }) => key === 'dateLabel'), 'date fields\' labels are checked')
  // A clause reference (D2 二.二.2(6)) is not a Chinese text: its numerals and 第…条 do not count.
  const chinese = (text: string) => /\p{Script=Han}/u.test(text.replace(/[一二三四五六七八九十第条]/g, ''))
  const english = /[A-Za-z]{2}/
  const wrong = texts.filter(({ text }) => !chinese(text) || !english.test(text))
  assert.equal(wrong.map(({ file, key, text }) => `${file} ${key}: ${text}`), [])
})

test.run()
