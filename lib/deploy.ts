/** Deploys every process, decision and form of the project in one engine deployment. */
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { projectRoot, type Config } from './config.ts'
import { createEngineRest, EngineRestError, type EngineRest } from './engine-rest.ts'

export interface DeployableFile {
  file: string
  kind: 'process' | 'decision' | 'form'
}

/** The deployment's name in the engine: duplicate filtering compares resources per name. */
export const DEPLOYMENT_NAME = 'order-flow'

/** Every `processes/*.bpmn`, `processes/*.dmn` and `forms/*.form`, in a stable order. */
export async function deployableFiles(root = projectRoot): Promise<DeployableFile[]> {
  const list = async (dir: string, ext: string, kind: DeployableFile['kind']) =>
    (await readdir(path.join(root, dir)))
      .filter((name) => name.endsWith(ext))
      .sort()
      .map((name) => ({ file: path.join(root, dir, name), kind }))
  return [
    ...(await list('processes', '.bpmn', 'process')),
    ...(await list('processes', '.dmn', 'decision')),
    ...(await list('forms', '.form', 'form')),
  ]
}

/** Error naming the file that broke a deployment, with the engine's or the parser's message. */
export class DeploymentError extends Error {
  constructor(
    readonly files: string[],
    detail: string,
  ) {
    super(`Deployment failed${files.length ? ` (${files.join(', ')})` : ''}: ${detail}`)
    this.name = 'DeploymentError'
  }
}

/**
 * Checks what can be checked locally before the engine sees it: well-formed roots, form ids, and
 * historyTimeToLive on every executable process and every decision — the engine refuses a DMN
 * without one with a vague REST answer (the reason is only in its log), so we name the file here.
 */
async function precheck(files: DeployableFile[]): Promise<void> {
  for (const { file, kind } of files) {
    const text = await readFile(file, 'utf8')
    const name = path.relative(projectRoot, file)
    if (kind === 'form') {
      try {
        const form = JSON.parse(text) as { id?: unknown }
        if (form.id !== path.basename(file, '.form')) {
          throw new Error(`form id "${String(form.id)}" must equal the file stem "${path.basename(file, '.form')}"`)
        }
      } catch (error) {
        throw new DeploymentError([name], (error as Error).message)
      }
      continue
    }
    if (!/^\s*<\?xml[^>]*>\s*<([\w]+:)?definitions[\s>]/.test(text)) {
      throw new DeploymentError([name], 'not an XML document with a definitions root element')
    }
    const element = kind === 'decision' ? /<(?:[\w]+:)?decision\s[^>]*>/g : /<(?:[\w]+:)?process\s[^>]*isExecutable="true"[^>]*>/g
    for (const [tag] of text.matchAll(element)) {
      if (!/\bcamunda:historyTimeToLive="[^"]+"/.test(tag)) {
        const id = /\bid="([^"]+)"/.exec(tag)?.[1] ?? '?'
        throw new DeploymentError([name], `${kind} "${id}" has no camunda:historyTimeToLive (the engine refuses it; use 180 days)`)
      }
    }
  }
}

export interface DeploymentResult {
  /** The engine's deployment id (kept as `key` for callers of the former API). */
  key: string
  id: string
  /** False when duplicate filtering found nothing changed and the engine kept the previous deployment. */
  created: boolean
  processes: string[]
  decisions: string[]
}

interface EngineDeployment {
  id: string
  deployedProcessDefinitions: Record<string, { key: string }> | null
  deployedDecisionDefinitions: Record<string, { key: string }> | null
}

/**
 * Deploys the files (all deployable files by default) together through `POST /deployment/create`
 * as the engine admin, with duplicate filtering: when nothing changed the engine keeps the previous
 * deployment. Not `deploy-changed-only`: a changed diagram must be deployed together with its
 * forms, decisions and called processes, which it finds by `binding="deployment"`.
 * A refused deployment throws a DeploymentError naming the file(s) and the engine's message.
 */
export async function deployAll(config: Config, files?: DeployableFile[], rest: EngineRest = createEngineRest(config)): Promise<DeploymentResult> {
  const resources = files ?? (await deployableFiles())
  await precheck(resources)
  const form = new FormData()
  form.set('deployment-name', DEPLOYMENT_NAME)
  form.set('deployment-source', 'order-flow deploy')
  form.set('enable-duplicate-filtering', 'true')
  for (const { file } of resources) {
    form.set(path.basename(file), new Blob([await readFile(file)]), path.basename(file))
  }
  try {
    const deployment = await rest.post<EngineDeployment>('/deployment/create', form, { timeoutMs: 120000 })
    const keys = (defs: EngineDeployment['deployedProcessDefinitions']) => Object.values(defs ?? {}).map((d) => d.key)
    const processes = keys(deployment.deployedProcessDefinitions)
    const decisions = keys(deployment.deployedDecisionDefinitions)
    return { key: deployment.id, id: deployment.id, created: processes.length + decisions.length > 0, processes, decisions }
  } catch (error) {
    if (!(error instanceof EngineRestError)) throw error
    const message = error.engineMessage ?? error.message
    const named = resources.map(({ file }) => path.basename(file)).filter((name) => message.includes(name))
    throw new DeploymentError(named, message)
  }
}
