/**
 * bpmnlint on every diagram, as `npm run lint` does: the project's `.bpmnlintrc` (recommended
 * rules + Camunda Platform 7.24 compatibility, the dialect Operaton runs) with no errors and no
 * warnings, and a check that the rc really asks for the 7.24 rules.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { projectRoot } from '../../lib/config.ts'
import { loadModel } from '../../lib/model.ts'

interface LintReport {
  id?: string
  message: string
  category: 'error' | 'warn' | 'info' | 'rule-error'
}

interface LinterInstance {
  lint(root: unknown, config?: LintConfig): Promise<Record<string, LintReport[]>>
}

interface LintConfig {
  extends?: string | string[]
  rules?: Record<string, unknown>
}

// bpmnlint is CommonJS without types for its entry point; resolve it (and its rules) from the project.
const projectRequire = createRequire(path.join(projectRoot, 'package.json'))
const { Linter } = projectRequire('bpmnlint') as { Linter: new (options: { config: LintConfig; resolver: unknown }) => LinterInstance }
const NodeResolver = projectRequire('bpmnlint/lib/resolver/node-resolver') as new (options: { require: NodeJS.Require }) => unknown
const { BpmnModdle } = projectRequire('bpmn-moddle') as {
  BpmnModdle: new (packages: Record<string, unknown>) => {
    fromXML(xml: string): Promise<{ rootElement: unknown; warnings: { message: string; element?: { id?: string } }[] }>
  }
}

const rc = JSON.parse(await readFile(path.join(projectRoot, '.bpmnlintrc'), 'utf8')) as LintConfig & {
  moddleExtensions?: Record<string, string>
}
const moddle = new BpmnModdle(
  Object.fromEntries(Object.entries(rc.moddleExtensions ?? {}).map(([prefix, file]) => [prefix, projectRequire(file)])),
)
const resolver = new NodeResolver({ require: projectRequire })
const { bpmnFiles } = await loadModel()

/** Problems of every diagram under `config`, one line each: file, element, rule, category, message. */
async function lintAll(config: LintConfig, categories: LintReport['category'][]): Promise<string[]> {
  const problems: string[] = []
  for (const file of bpmnFiles) {
    const { rootElement, warnings } = await moddle.fromXML(await readFile(path.join(projectRoot, file), 'utf8'))
    for (const warning of warnings) {
      problems.push(`${file} ${warning.element?.id ?? '-'} import: ${warning.message.split('\n')[0]}`)
    }
    const results = await new Linter({ config, resolver }).lint(rootElement)
    for (const [rule, reports] of Object.entries(results)) {
      for (const report of reports) {
        if (categories.includes(report.category)) problems.push(`${file} ${report.id ?? '-'} ${rule} (${report.category}): ${report.message}`)
      }
    }
  }
  return problems
}

test('there are diagrams to lint', () => {
  assert.ok(bpmnFiles.length > 0)
})

test('.bpmnlintrc: no errors and no warnings', async () => {
  const problems = await lintAll({ extends: rc.extends, rules: rc.rules }, ['error', 'warn', 'rule-error'])
  assert.ok(problems.length === 0, `bpmnlint (.bpmnlintrc) reports:\n  - ${problems.join('\n  - ')}`)
})

test('.bpmnlintrc extends the recommended rules and Camunda Platform 7.24 compatibility', () => {
  assert.equal(rc.extends, ['bpmnlint:recommended', 'plugin:camunda-compat/camunda-platform-7-24'])
})

test('the 7.24 rules find a broken diagram (the lint can fail)', async () => {
  const xml = (await readFile(path.join(projectRoot, bpmnFiles[0]), 'utf8')).replace(/ camunda:historyTimeToLive="[^"]+"/, '')
  const { rootElement } = await moddle.fromXML(xml)
  const results = await new Linter({ config: { extends: rc.extends, rules: rc.rules }, resolver }).lint(rootElement)
  const errors = Object.entries(results).flatMap(([rule, reports]) => reports.filter((r) => r.category === 'error').map(() => rule))
  assert.equal(errors, ['camunda-compat/history-time-to-live'], 'a process without historyTimeToLive must be an error')
})

test.run()
