/** Deploys every process, decision and form of the project in one deployment. */
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Camunda8 } from '@camunda8/sdk'
import { projectRoot } from './config.ts'

export interface DeployableFile {
  file: string
  kind: 'process' | 'decision' | 'form'
}

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

/** Checks what can be checked locally (well-formed XML root, JSON forms) before the engine sees it. */
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
    } else if (!/^\s*<\?xml[^>]*>\s*<([\w]+:)?definitions[\s>]/.test(text)) {
      throw new DeploymentError([name], 'not an XML document with a definitions root element')
    }
  }
}

/** Deploys all files together; returns the deployment key and what it contained. */
export async function deployAll(camunda: Camunda8, files?: DeployableFile[]) {
  const resources = files ?? (await deployableFiles())
  await precheck(resources)
  const zeebe = camunda.getZeebeGrpcApiClient()
  try {
    const response = await zeebe.deployResources(
      resources.map(({ file, kind }) =>
        kind === 'process' ? { processFilename: file } : kind === 'decision' ? { decisionFilename: file } : { formFilename: file },
      ),
    )
    return response
  } catch (error) {
    const message = (error as Error).message
    const named = resources.map(({ file }) => path.basename(file)).filter((name) => message.includes(name))
    throw new DeploymentError(named, message)
  }
}
