/**
 * The procedure clause each BPMN element implements, read with bpmn-moddle from the deployed
 * definition's `bpmn:documentation` (e.g. `D1 第4条 2 — check product name, ...`) and cached
 * per process definition key (a deployed definition never changes).
 */
import { createBpmnModdle, type ModdleNode } from '../lib/model.ts'
import type { ApiEngine } from './engine.ts'

export interface ElementDoc {
  name: string | null
  type: string
  /** The documentation as written. */
  documentation: string | null
  /** The clause references it cites, e.g. `D1 第4条 1; D7 1`; null when it cites none. */
  clause: string | null
}

/**
 * The clause references of a documentation text: the text before each " — " from its last
 * sentence start, when that starts with a document id (D1 … D10).
 */
export function clausesOf(documentation: string): string | null {
  const pieces = documentation.split(' — ')
  const found: string[] = []
  for (const piece of pieces.slice(0, -1)) {
    const sentence = piece.split(/[.;]\s+/).pop()!.trim()
    const match = /\bD\d{1,2}\s.*$/.exec(sentence)
    if (match) found.push(match[0].trim())
  }
  return found.length ? found.join('; ') : null
}

function collect(node: ModdleNode, into: Map<string, ElementDoc>): void {
  const elements = (node.flowElements as ModdleNode[] | undefined) ?? []
  for (const element of elements) {
    const docs = ((element.documentation as { text?: string }[] | undefined) ?? []).map((d) => d.text ?? '').filter(Boolean)
    const documentation = docs.length ? docs.join('\n\n') : null
    if (element.id) {
      into.set(element.id, {
        name: element.name ?? null,
        type: element.$type,
        documentation,
        clause: documentation ? clausesOf(documentation) : null,
      })
    }
    collect(element, into)
  }
}

/** Parses BPMN XML into element id → documentation and clause. */
export async function elementDocs(xml: string): Promise<Map<string, ElementDoc>> {
  const { rootElement } = await createBpmnModdle().fromXML(xml)
  const docs = new Map<string, ElementDoc>()
  for (const root of (rootElement.rootElements as ModdleNode[] | undefined) ?? []) {
    if (root.$type === 'bpmn:Process') collect(root, docs)
  }
  return docs
}

/** Element docs per process definition, fetched once from the engine. */
export function createProcessDocs(engine: Pick<ApiEngine, 'processXml'>) {
  const cache = new Map<string, Promise<Map<string, ElementDoc>>>()
  return async (processDefinitionKey: string): Promise<Map<string, ElementDoc>> => {
    let docs = cache.get(processDefinitionKey)
    if (!docs) {
      docs = engine.processXml(processDefinitionKey).then(elementDocs)
      cache.set(processDefinitionKey, docs)
      docs.catch(() => cache.delete(processDefinitionKey))
    }
    return docs
  }
}

export type ProcessDocs = ReturnType<typeof createProcessDocs>
