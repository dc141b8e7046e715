/**
 * element-templates/: one Camunda 7 element template per external-task topic, valid against the
 * published element template schema (`@camunda/element-templates-json-schema`, the one Modeler
 * uses for Camunda Platform 7 diagrams), named after its topic, and asking for every variable its
 * worker reads.
 */
import { readdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type formatsPlugin from 'ajv-formats'
import { Ajv } from 'ajv'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { projectRoot } from '../lib/config.ts'

interface TemplateProperty {
  type?: string
  value?: unknown
  binding: { type: string; property?: string; name?: string; source?: string; key?: string }
}

interface Template {
  id: string
  name: string
  version: number
  appliesTo: string[]
  elementType?: { value: string }
  properties: TemplateProperty[]
}

const require = createRequire(import.meta.url)
// ajv-formats is CommonJS; require gives its function directly, which ESM import does not.
const addFormats = require('ajv-formats') as typeof formatsPlugin.default
// The schema uses keywords ajv does not know (deprecated, errorMessage, ...): not strict.
const ajv = new Ajv({ allErrors: true, strict: false })
addFormats(ajv)
const validate = ajv.compile(require('@camunda/element-templates-json-schema/resources/schema.json') as object)

const templatesDir = path.join(projectRoot, 'element-templates')
const stems = (names: string[], ext: string) => names.filter((n) => n.endsWith(ext)).map((n) => path.basename(n, ext)).sort()
const templateTypes = stems(await readdir(templatesDir), '.json')
/**
 * Topics of service tasks: a module exporting executionListener = true is not a topic, and one
 * exporting messageEndEvent = true serves message end events only (a service-task template does
 * not apply to them); neither has a template.
 */
const workerTypes: string[] = []
for (const type of stems(await readdir(path.join(projectRoot, 'workers')), '.ts')) {
  const worker = (await import(pathToFileURL(path.join(projectRoot, 'workers', `${type}.ts`)).href)) as { executionListener?: boolean; messageEndEvent?: boolean }
  if (!worker.executionListener && !worker.messageEndEvent) workerTypes.push(type)
}
const templates = new Map<string, Template>()
for (const type of templateTypes) {
  templates.set(type, JSON.parse(await readFile(path.join(templatesDir, `${type}.json`), 'utf8')) as Template)
}

const bound = (template: Template, name: string) => template.properties.find((p) => p.binding.type === 'property' && p.binding.name === name)

test('every template is valid against the element template schema', () => {
  const problems: string[] = []
  for (const [type, template] of templates) {
    if (!validate(template)) {
      for (const error of validate.errors ?? []) problems.push(`${type}.json ${error.instancePath || '/'}: ${error.message}`)
    }
  }
  assert.ok(problems.length === 0, `schema violations:\n  - ${problems.join('\n  - ')}`)
})

test('each template is named after its topic and fixes it, hidden, as an external task', () => {
  for (const [type, template] of templates) {
    assert.is(template.id, `order-flow.${type}`, `${type}.json id`)
    assert.is(template.version, 1, `${type}.json version`)
    assert.equal(template.appliesTo, ['bpmn:ServiceTask'], `${type}.json appliesTo`)
    assert.is(template.elementType?.value, 'bpmn:ServiceTask', `${type}.json elementType`)
    const topic = bound(template, 'camunda:topic')
    assert.is(topic?.type, 'Hidden', `${type}.json: the topic is hidden`)
    assert.is(topic?.value, type, `${type}.json: the topic is ${type}`)
    assert.is(bound(template, 'camunda:type')?.value, 'external', `${type}.json: camunda:type is external`)
    assert.not.ok(JSON.stringify(template).toLowerCase().includes('zeebe'), `${type}.json mentions zeebe`)
  }
})

test('every worker module has a template, and every template a worker', () => {
  assert.equal(
    workerTypes.filter((type) => !templates.has(type)),
    [],
    'workers without element-templates/<topic>.json',
  )
  assert.equal(
    templateTypes.filter((type) => !workerTypes.includes(type)),
    [],
    'templates without workers/<topic>.ts',
  )
})

test('each template maps every variable its worker reads', async () => {
  const problems: string[] = []
  for (const type of workerTypes.filter((t) => templates.has(t))) {
    const worker = (await import(pathToFileURL(path.join(projectRoot, 'workers', `${type}.ts`)).href)) as {
      variablesSchema?: { properties?: Record<string, unknown> }
    }
    const inputs = templates.get(type)!.properties.filter((p) => p.binding.type === 'camunda:inputParameter').map((p) => p.binding.name)
    for (const variable of Object.keys(worker.variablesSchema?.properties ?? {})) {
      if (!inputs.includes(variable)) problems.push(`${type}.json has no input for ${variable}, which workers/${type}.ts reads`)
    }
  }
  assert.ok(problems.length === 0, problems.join('\n'))
})

test.run()
