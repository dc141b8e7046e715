/**
 * Reads the engine's exported records in its OpenSearch node directly. Camunda 8.6.0's Tasklist
 * importer stops for good on a user-task timestamp that falls on a whole second (camunda/camunda
 * #27237: it writes the date without milliseconds and the index rejects it), after which
 * `/v2/user-tasks/search` shows no new task on that partition. The exported `user-task` records
 * are written by the broker's exporter and are not affected, so open user tasks are found here.
 */
import { ports } from './engine.ts'

export interface RecordedUserTask {
  key: number
  state: 'CREATED' | 'COMPLETED'
  elementId: string
  processInstanceKey: number
  candidateGroup: string[]
  formKey?: number
  /** Tasklist's due and follow-up dates (ISO 8601), when the task sets them. */
  dueDate?: string
  followUpDate?: string
}

interface UserTaskRecord {
  key: number
  intent: string
  value: { elementId: string; processInstanceKey: number; candidateGroupsList: string[]; formKey: number; dueDate?: string; followUpDate?: string }
}

/**
 * The user tasks of an instance (optionally of one element) in `state`: CREATED = created and not
 * yet completing, completed or cancelled; COMPLETED = completed.
 */
export async function recordedUserTasks(
  processInstanceKey: string | number,
  elementId?: string,
  state: RecordedUserTask['state'] = 'CREATED',
): Promise<RecordedUserTask[]> {
  // Only the instance key is a keyword-like field in the exporter's mapping (element ids are
  // analysed text), so the element is matched here.
  const filters = [{ term: { 'value.processInstanceKey': Number(processInstanceKey) } }]
  const response = await fetch(`http://127.0.0.1:${ports.search}/zeebe-record_user-task_*/_search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ size: 1000, query: { bool: { filter: filters } }, sort: [{ position: 'asc' }] }),
    signal: AbortSignal.timeout(10000),
  })
  if (response.status === 404) return []
  if (!response.ok) throw new Error(`engine records search answered ${response.status}: ${await response.text()}`)
  const hits = ((await response.json()) as { hits: { hits: { _source: UserTaskRecord }[] } }).hits.hits
    .map((h) => h._source)
    .filter((r) => !elementId || r.value.elementId === elementId)
  const intents = new Map<number, Set<string>>()
  for (const record of hits) intents.set(record.key, (intents.get(record.key) ?? new Set()).add(record.intent))
  const ended = ['COMPLETING', 'COMPLETED', 'CANCELING', 'CANCELED']
  const inState = (key: number) =>
    state === 'COMPLETED' ? intents.get(key)!.has('COMPLETED') : !ended.some((intent) => intents.get(key)!.has(intent))
  return hits
    .filter((r) => r.intent === 'CREATED' && inState(r.key))
    .map((r) => ({
      key: r.key,
      state,
      elementId: r.value.elementId,
      processInstanceKey: r.value.processInstanceKey,
      candidateGroup: r.value.candidateGroupsList,
      formKey: r.value.formKey > 0 ? r.value.formKey : undefined,
      ...(r.value.dueDate ? { dueDate: r.value.dueDate } : {}),
      ...(r.value.followUpDate ? { followUpDate: r.value.followUpDate } : {}),
    }))
}
