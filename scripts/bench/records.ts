/**
 * The engine's exported records in its OpenSearch node (`zeebe-record_<value type>_*`): the
 * benchmark's clock of what the engine did and when — job creation, element activation, user
 * tasks, message subscriptions, timers — read without going through Operate or Tasklist.
 */
import { ports } from '../../lib/engine.ts'

export interface EngineRecord<Value = Record<string, unknown>> {
  key: number
  intent: string
  timestamp: number
  position: number
  partitionId: number
  value: Value
}

/** The parts of user-task, message-subscription and process-instance records the drivers read. */
export interface UserTaskValue {
  elementId: string
  processInstanceKey: number
}
export interface SubscriptionValue {
  elementId: string
  processInstanceKey: number
  messageName: string
  correlationKey: string
  elementInstanceKey: number
}
export interface ProcessValue {
  processInstanceKey: number
  parentProcessInstanceKey: number
}

const base = `http://127.0.0.1:${ports.search}`

type Query = Record<string, unknown>

async function post<T>(path: string, body: string, contentType = 'application/json'): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
    signal: AbortSignal.timeout(30000),
  })
  if (!response.ok) throw new Error(`OpenSearch ${path} answered ${response.status}: ${(await response.text()).slice(0, 300)}`)
  return (await response.json()) as T
}

const indexOf = (valueType: string) => `zeebe-record_${valueType}_*`

/** Every record of a value type matching `filter` (a bool filter list), in log order per partition. */
export async function allRecords<V>(valueType: string, filter: Query[], source?: string[]): Promise<EngineRecord<V>[]> {
  const out: EngineRecord<V>[] = []
  let after: unknown[] | undefined
  for (;;) {
    const body = {
      size: 5000,
      query: { bool: { filter } },
      sort: [{ partitionId: 'asc' }, { position: 'asc' }],
      ...(source ? { _source: source } : {}),
      ...(after ? { search_after: after } : {}),
    }
    const result = await post<{ hits: { hits: { _source: EngineRecord<V>; sort: unknown[] }[] } }>(
      `/${indexOf(valueType)}/_search?ignore_unavailable=true&allow_no_indices=true`,
      JSON.stringify(body),
    )
    const hits = result.hits.hits
    out.push(...hits.map((h) => h._source))
    if (hits.length < body.size) return out
    after = hits[hits.length - 1].sort
  }
}

/** Records of several value types in one round trip (the driver's poll); one list per query. */
// Each query's records have the shape its value type gives them; the caller names it.
export async function multiSearch(queries: { valueType: string; filter: Query[]; source?: string[] }[]): Promise<EngineRecord<any>[][]> {
  const lines = queries.flatMap(({ valueType, filter, source }) => [
    JSON.stringify({ index: indexOf(valueType), ignore_unavailable: true, allow_no_indices: true }),
    JSON.stringify({ size: 10000, query: { bool: { filter } }, sort: [{ timestamp: 'asc' }], ...(source ? { _source: source } : {}) }),
  ])
  const result = await post<{ responses: { error?: unknown; hits?: { hits: { _source: EngineRecord }[] } }[] }>(
    '/_msearch',
    `${lines.join('\n')}\n`,
    'application/x-ndjson',
  )
  return result.responses.map((response, i) => {
    if (response.error) throw new Error(`OpenSearch search of ${queries[i].valueType} records failed: ${JSON.stringify(response.error).slice(0, 300)}`)
    return (response.hits?.hits ?? []).map((h) => h._source)
  })
}

/** Splits a long terms list so no query carries more than `size` values. */
export function chunks<T>(items: T[], size = 1000): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

export const terms = (field: string, values: (string | number)[]) => ({ terms: { [field]: values.map(Number) } })
