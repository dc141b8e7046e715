/**
 * The web apps in Simplified Chinese (engine/src/main/resources/META-INF/resources/webjars/operaton/app/<app>/):
 * the running engine serves the project's locales/zh.json beside Operaton's en.json, and every key
 * of the English file it ships has a Chinese text with the same placeholders. An engine upgrade
 * that adds or renames keys fails here, naming them; so does a translation file that is not JSON.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { config } from '../helpers.ts'

const apps = ['tasklist', 'cockpit', 'admin', 'welcome'] as const

type Tree = { [key: string]: string | number | boolean | null | Tree | Tree[] | unknown[] }

/** A locale file as the web app loads it (Operaton's en.json starts with a byte-order mark). */
async function locale(app: string, language: string): Promise<Tree> {
  const url = `${config.ENGINE_URL}/operaton/app/${app}/locales/${language}.json`
  const response = await fetch(url)
  assert.is(response.status, 200, `GET ${url}`)
  const text = (await response.text()).replace(/^\uFEFF/, '')
  try {
    return JSON.parse(text) as Tree
  } catch (error) {
    throw new Error(`${url} is not valid JSON: ${(error as Error).message}`)
  }
}

/** Every leaf of a nested locale file, by its dotted key. */
function leaves(tree: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>()
  if (tree && typeof tree === 'object' && !Array.isArray(tree)) {
    for (const [key, value] of Object.entries(tree)) {
      for (const [k, v] of leaves(value, `${prefix}${key}.`)) out.set(k, v)
    }
  } else {
    out.set(prefix.slice(0, -1), tree)
  }
  return out
}

/** What a translation must keep: AngularJS expressions, printf and {0} placeholders, HTML tags. */
const placeholders = (text: string) =>
  (text.match(/\{\{[^}]*\}\}|%[sd]|\{\d+\}|<\/?[a-zA-Z][^>]*>/g) ?? []).map((p) => p.replace(/\s+/g, '')).sort()

for (const app of apps) {
  test(`${app}: every key of Operaton's English locale has a Chinese text with the same placeholders`, async () => {
    const en = leaves(await locale(app, 'en'))
    const zh = leaves(await locale(app, 'zh'))
    const missing = [...en.keys()].filter((key) => !zh.has(key))
    assert.equal(missing, [], `${missing.length} keys of ${app}/locales/en.json have no Chinese entry`)
    const extra = [...zh.keys()].filter((key) => !en.has(key))
    assert.equal(extra, [], `keys of ${app}/locales/zh.json that en.json no longer has`)

    const problems: string[] = []
    for (const [key, english] of en) {
      const chinese = zh.get(key)
      if (typeof english !== 'string') {
        if (typeof chinese !== typeof english) problems.push(`${key}: ${typeof chinese} instead of ${typeof english}`)
        continue
      }
      // Cockpit appends `*_S` ('s') to a noun for its plural: Chinese has none, so it stays empty.
      const pluralSuffix = english === 's'
      if (typeof chinese !== 'string' || (english.trim() !== '' && chinese.trim() === '' && !pluralSuffix)) {
        problems.push(`${key}: no text`)
        continue
      }
      if (placeholders(english).join() !== placeholders(chinese).join()) {
        problems.push(`${key}: placeholders ${placeholders(english).join(' ')} became ${placeholders(chinese).join(' ')}`)
      }
    }
    assert.equal(problems, [], `${app}/locales/zh.json`)
    const chinese = [...zh.entries()].filter(([key, value]) => key.startsWith('labels.') && typeof value === 'string' && /[\u4e00-\u9fff]/.test(value))
    assert.ok(chinese.length > 0.9 * [...zh.keys()].filter((key) => key.startsWith('labels.')).length, `${app}: most labels are in Chinese`)
  })

  test(`${app}: its configuration offers Chinese beside English, English the fallback`, async () => {
    const response = await fetch(`${config.ENGINE_URL}/operaton/app/${app}/scripts/config.js`)
    assert.is(response.status, 200)
    // The web app imports it as an ES module whose default export is the configuration object.
    const source = await response.text()
    assert.match(source, /^export default \{/m)
    const configuration = new Function(source.replace(/^export default /m, 'return '))() as { locales: unknown }
    assert.equal(configuration.locales, { availableLocales: ['en', 'de', 'zh'], fallbackLocale: 'en' })
  })
}

test('tasklist: dates and relative times in Chinese, dates in YYYY-MM-DD order', async () => {
  const { dateLocales } = (await locale('tasklist', 'zh')) as { dateLocales: { longDateFormat: Record<string, string>; relativeTime: Record<string, string> } }
  assert.is(dateLocales.longDateFormat.L, 'YYYY-MM-DD')
  assert.match(dateLocales.longDateFormat.LLL, /^YYYY年M+月D+日/)
  assert.is(dateLocales.relativeTime.future, '%s后')
  assert.is(dateLocales.relativeTime.past, '%s前')
})

test.run()
