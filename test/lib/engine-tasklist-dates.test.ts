import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CAMUNDA_VERSION, enginePaths, ports } from '../../lib/engine.ts'
import { readListViewMapping, widen, widenTasklistDates, WIDE, type ListViewNames } from '../../lib/engine-tasklist-dates.ts'
import { config } from '../helpers.ts'

const searchUrl = `http://127.0.0.1:${ports.search}`
const run = Date.now()
// Scratch names in the engine's search store, shaped like Tasklist's own.
const names: ListViewNames = {
  index: `order-flow-test-list-view-${run}_`,
  alias: `order-flow-test-list-view-${run}_alias`,
  template: `order-flow-test-list-view-${run}_template`,
  temporary: `order-flow-test-list-view-move-${run}`,
}
const mapping = readListViewMapping(path.join(enginePaths(config).camundaHome, 'lib', `tasklist-els-schema-${CAMUNDA_VERSION}.jar`))
const said: string[] = []
const say = (line: string) => said.push(line)

const request = (method: string, url: string, body?: unknown) =>
  fetch(`${searchUrl}${url}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
const put = (id: string, creationTime: string) => request('PUT', `/${names.index}/_doc/${id}?refresh=true`, { id, state: 'CREATED', creationTime })

test.after(async () => {
  for (const index of [names.index, names.temporary]) await request('DELETE', `/${index}`)
  await request('DELETE', `/_index_template/${names.template}`)
})

test('Tasklist 8.6.0 ships the narrow date format that refuses whole-second times', async () => {
  assert.is(mapping.dynamic, 'strict')
  assert.is(mapping.properties.creationTime.format, 'date_time || epoch_millis')
  assert.is(widen(mapping).properties.completionTime.format, WIDE)
  assert.is(widen(mapping).properties.id.type, 'keyword')
})

test('an existing narrow index moves onto the widened mapping with its documents, and then takes whole-second times', async () => {
  const created = await request('PUT', `/${names.index}`, {
    settings: { number_of_shards: 1, number_of_replicas: 0 },
    mappings: mapping,
    aliases: { [names.alias]: {} },
  })
  assert.is(created.status, 200)
  assert.is((await put('with-fraction', '2026-11-24T21:33:26.123+0000')).status, 201)
  const refused = await put('whole-second', '2026-11-24T21:33:26Z')
  assert.is(refused.status, 400, 'the narrow mapping refuses it: the bug')

  await widenTasklistDates(searchUrl, mapping, say, names)

  assert.is((await put('whole-second', '2026-11-24T21:33:26Z')).status, 201)
  const kept = await request('GET', `/${names.alias}/_doc/with-fraction`)
  assert.is(kept.status, 200, 'the documents moved along and the alias points at the new index')
  const current = (await (await request('GET', `/${names.index}/_mapping`)).json()) as Record<string, { mappings: { dynamic: string; properties: Record<string, { format?: string }> } }>
  assert.is(current[names.index].mappings.dynamic, 'false')
  assert.is(current[names.index].mappings.properties.creationTime.format, WIDE)
  assert.is((await request('HEAD', `/${names.temporary}`)).status, 404, 'the temporary copy is gone')
  assert.ok(said.some((line) => line.includes('1 documents moved')), said.join('\n'))

  said.length = 0
  await widenTasklistDates(searchUrl, mapping, say, names)
  assert.equal(said, [], 'a second run has nothing to do')
})

test('a fresh index, made by Tasklist from the template, takes whole-second times', async () => {
  await request('DELETE', `/${names.index}`)
  await widenTasklistDates(searchUrl, mapping, say, names)
  assert.is((await request('PUT', `/${names.index}`, {})).status, 200)
  assert.is((await put('whole-second', '2026-11-24T21:33:27Z')).status, 201)
  assert.is((await request('GET', `/${names.alias}/_doc/whole-second`)).status, 200)
})

test.run()
