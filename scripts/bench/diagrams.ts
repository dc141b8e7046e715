/**
 * What the benchmark deploys: copies of `contract-order` and `shipment` under their own process
 * ids (`bench-…`) and job types — of tasks and of listeners — (`bench-<type>`), so the benchmark's workers — real or no-op —
 * never take a job of anyone else's instances on a shared engine (nor anyone else's workers one
 * of the benchmark's), plus the timer diagram beside this file. The copies are made from the
 * current `processes/*.bpmn` at each run, so they measure today's diagrams.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Camunda8 } from '@camunda8/sdk'
import { projectRoot } from '../../lib/config.ts'
import { deployableFiles } from '../../lib/deploy.ts'

export const prefix = 'bench-'
export const copiedProcesses = ['contract-order', 'shipment'] as const
export const orderProcess = `${prefix}contract-order`
export const timerProcess = 'bench-timer'

/** The diagram with its process id, the call activities' targets and its job types prefixed. */
export function benchCopy(xml: string, processes: readonly string[] = copiedProcesses): string {
  let out = xml.replace(/(<zeebe:(?:taskDefinition|executionListener|taskListener)\b[^>]*?\btype=")([^"=][^"]*)"/g, `$1${prefix}$2"`)
  for (const id of processes) {
    for (const attribute of ['<bpmn:process id', 'bpmnElement', 'processId']) {
      out = out.replaceAll(`${attribute}="${id}"`, `${attribute}="${prefix}${id}"`)
    }
  }
  return out
}

/** Deploys the benchmark copies, the timer diagram, and the decisions and forms the copies use. */
export async function deployBenchResources(camunda: Camunda8): Promise<void> {
  const resources = []
  const used = { forms: new Set<string>(), decisions: new Set<string>() }
  for (const id of copiedProcesses) {
    const xml = await readFile(path.join(projectRoot, 'processes', `${id}.bpmn`), 'utf8')
    for (const [, formId] of xml.matchAll(/formId="([^"]+)"/g)) used.forms.add(formId)
    for (const [, decisionId] of xml.matchAll(/decisionId="([^"]+)"/g)) used.decisions.add(decisionId)
    resources.push({ name: `${prefix}${id}.bpmn`, process: Buffer.from(benchCopy(xml)) })
  }
  const here = path.dirname(fileURLToPath(import.meta.url))
  resources.push({ name: 'bench-timer.bpmn', process: await readFile(path.join(here, 'timer.bpmn')) })
  // Only what the copies reference (a form's id is its file stem), unchanged ones the engine keeps as they are.
  for (const { file, kind } of await deployableFiles()) {
    const content = await readFile(file)
    if (kind === 'form' && used.forms.has(path.basename(file, '.form'))) resources.push({ name: path.basename(file), form: content })
    if (kind === 'decision' && [...used.decisions].some((id) => content.includes(`id="${id}"`))) {
      resources.push({ name: path.basename(file), decision: content })
    }
  }
  await camunda.getZeebeGrpcApiClient().deployResources(resources)
}
