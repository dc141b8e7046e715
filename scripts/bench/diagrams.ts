/**
 * What the benchmark deploys: copies of `contract-order` and `shipment` under their own process
 * ids (`bench-…`) and external-task topics (`bench-<topic>`), so the benchmark's workers — real or
 * no-op — never lock a task of anyone else's instances on a shared engine (nor anyone else's
 * workers one of the benchmark's), plus the timer diagram beside this file. The copies are made
 * from the current `processes/*.bpmn` at each run, so they measure today's diagrams. The
 * decisions and forms they bind with `binding="deployment"` go into the same deployment.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { projectRoot } from '../../lib/config.ts'
import { deployableFiles } from '../../lib/deploy.ts'
import type { EngineRest } from '../../lib/engine-rest.ts'

export const prefix = 'bench-'
export const copiedProcesses = ['contract-order', 'shipment'] as const
export const orderProcess = `${prefix}contract-order`
export const benchProcesses = copiedProcesses.map((id) => `${prefix}${id}`)
export const timerProcess = 'bench-timer'

/** The diagram with its process id, the call activities' targets and its topics prefixed. */
export function benchCopy(xml: string, processes: readonly string[] = copiedProcesses): string {
  let out = xml.replace(/(\bcamunda:topic=")([^"]+)"/g, `$1${prefix}$2"`)
  for (const id of processes) {
    for (const attribute of ['<bpmn:process id', 'bpmnElement', 'calledElement']) {
      out = out.replaceAll(`${attribute}="${id}"`, `${attribute}="${prefix}${id}"`)
    }
  }
  return out
}

/** Deploys the benchmark copies, the timer diagram, and the decisions and forms the copies use, in one deployment. */
export async function deployBenchResources(rest: EngineRest): Promise<void> {
  const form = new FormData()
  form.append('deployment-name', 'order-flow-bench')
  form.append('deployment-source', 'npm run bench')
  const add = (name: string, content: string) => form.append(name, new Blob([content]), name)
  const used = { forms: new Set<string>(), decisions: new Set<string>() }
  for (const id of copiedProcesses) {
    const xml = await readFile(path.join(projectRoot, 'processes', `${id}.bpmn`), 'utf8')
    for (const [, formId] of xml.matchAll(/camunda:formRef="([^"]+)"/g)) used.forms.add(formId)
    for (const [, decisionId] of xml.matchAll(/camunda:decisionRef="([^"]+)"/g)) used.decisions.add(decisionId)
    add(`${prefix}${id}.bpmn`, benchCopy(xml))
  }
  const here = path.dirname(fileURLToPath(import.meta.url))
  add('bench-timer.bpmn', await readFile(path.join(here, 'timer.bpmn'), 'utf8'))
  for (const { file, kind } of await deployableFiles()) {
    const content = await readFile(file, 'utf8')
    if (kind === 'form' && used.forms.has(path.basename(file, '.form'))) add(path.basename(file), content)
    if (kind === 'decision' && [...used.decisions].some((id) => content.includes(`id="${id}"`))) add(path.basename(file), content)
  }
  await rest.post('/deployment/create', form)
}
