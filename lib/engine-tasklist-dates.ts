/**
 * Keeps Camunda 8.6.0's Tasklist importing (camunda/camunda#27237, fixed after 8.6.0).
 *
 * Tasklist writes a user task's times into its list-view index as `OffsetDateTime.toString()`,
 * which leaves out the fraction when the time falls on a whole second (`2026-11-24T21:33:26Z`).
 * The index maps those fields as `date_time || epoch_millis`, which requires the fraction, so the
 * write is refused and the importer retries it for ever: from then on Tasklist shows no new task
 * of that partition. About one user task in a thousand is created or completed on a whole second.
 *
 * The list-view index is made from an index template that Tasklist writes only when missing.
 * Before the engine starts, this writes that template itself — Tasklist's own mapping (read from
 * its schema jar) with the date fields also accepting `strict_date_optional_time` — and, when the
 * index already exists with the narrow formats, moves it over by reindexing through a temporary
 * copy. The mapping's `dynamic` becomes `false` instead of `strict`: Tasklist compares only strict
 * mappings with its own at start-up and would stop at the changed formats.
 */
import { spawnSync } from 'node:child_process'

type Say = (line: string) => void

export interface ListViewNames {
  index: string
  alias: string
  template: string
  /** Holds the documents while the index is re-created; outside the template's pattern. */
  temporary: string
}

/** Tasklist 8.6.0's list view. */
export const tasklistListView: ListViewNames = {
  index: 'tasklist-list-view-8.6.0_',
  alias: 'tasklist-list-view-8.6.0_alias',
  template: 'tasklist-list-view-8.6.0_template',
  temporary: 'order-flow-list-view-move',
}

const NARROW = 'date_time || epoch_millis'
export const WIDE = 'date_time || strict_date_optional_time || epoch_millis'
/** What Tasklist's component template `tasklist_template` sets. */
const SETTINGS = { number_of_shards: 1, number_of_replicas: 0 }

interface Mapping {
  dynamic?: string
  properties: Record<string, { type?: string; format?: string }>
}

/** Tasklist's list-view mapping as shipped in its schema jar. */
export function readListViewMapping(schemaJar: string): Mapping {
  const entry = 'schema/os/create/template/tasklist-list-view.json'
  const result = spawnSync('unzip', ['-p', schemaJar, entry], { encoding: 'utf8', maxBuffer: 1024 * 1024 })
  if (result.status !== 0) {
    throw new Error(`could not read ${entry} from ${schemaJar} with unzip (${result.error?.message ?? result.stderr.trim()}); install unzip`)
  }
  return JSON.parse(result.stdout) as Mapping
}

/** The mapping with every narrow date format widened, and not strict. */
export function widen(mapping: Mapping): Mapping {
  const properties = Object.fromEntries(
    Object.entries(mapping.properties).map(([name, field]) => [name, field.type === 'date' && field.format === NARROW ? { ...field, format: WIDE } : field]),
  )
  return { ...mapping, dynamic: 'false', properties }
}

async function call(searchUrl: string, method: string, path: string, body?: unknown, okStatuses = [200]): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${searchUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(120000),
  })
  const text = await response.text()
  if (!okStatuses.includes(response.status)) throw new Error(`search store ${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`)
  return { status: response.status, json: text ? JSON.parse(text) : undefined }
}

const exists = async (searchUrl: string, index: string) => (await call(searchUrl, 'HEAD', `/${index}`, undefined, [200, 404])).status === 200

async function reindex(searchUrl: string, from: string, to: string, opType: 'index' | 'create' = 'index'): Promise<number> {
  const { json } = await call(searchUrl, 'POST', '/_reindex?refresh=true&wait_for_completion=true', {
    conflicts: 'proceed',
    source: { index: from },
    dest: { index: to, op_type: opType },
  })
  const result = json as { total: number; failures: unknown[] }
  if (result.failures.length) throw new Error(`reindexing ${from} into ${to} failed: ${JSON.stringify(result.failures).slice(0, 500)}`)
  return result.total
}

/**
 * Writes the widened template and moves an existing narrow index onto it. Idempotent; resumes a
 * move that stopped half-way. The engine (Tasklist) must not be running.
 */
export async function widenTasklistDates(searchUrl: string, mapping: Mapping, say: Say, names: ListViewNames = tasklistListView): Promise<void> {
  const wide = widen(mapping)
  await call(searchUrl, 'PUT', `/_index_template/${names.template}`, {
    index_patterns: [`${names.index}*`],
    template: { settings: SETTINGS, mappings: wide, aliases: { [names.alias]: {} } },
  })

  if (await exists(searchUrl, names.index)) {
    const { json } = await call(searchUrl, 'GET', `/${names.index}/_mapping`)
    const current = (json as Record<string, { mappings: Mapping }>)[names.index].mappings
    const narrow = Object.values(current.properties).some((field) => field.type === 'date' && field.format === NARROW)
    if (narrow) {
      say(`widening the date formats of ${names.index} (camunda/camunda#27237)`)
      if (await exists(searchUrl, names.temporary)) await call(searchUrl, 'DELETE', `/${names.temporary}`)
      await call(searchUrl, 'PUT', `/${names.temporary}`, { settings: SETTINGS, mappings: wide })
      await reindex(searchUrl, names.index, names.temporary)
      await call(searchUrl, 'DELETE', `/${names.index}`)
    } else if (!(await exists(searchUrl, names.temporary))) {
      return
    }
  } else if (!(await exists(searchUrl, names.temporary))) {
    return
  }
  // The documents are in the temporary copy (now, or from a move that stopped half-way): the index,
  // made from the template, gets those it lacks.
  if (!(await exists(searchUrl, names.index))) await call(searchUrl, 'PUT', `/${names.index}`, {})
  const moved = await reindex(searchUrl, names.temporary, names.index, 'create')
  await call(searchUrl, 'DELETE', `/${names.temporary}`)
  say(`${names.index}: ${moved} documents moved onto the widened mapping`)
}
