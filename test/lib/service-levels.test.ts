import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { projectRoot } from '../../lib/config.ts'
import { loadServiceLevels, variablesRead, type ServiceLevel } from '../../lib/service-levels.ts'

const table = loadServiceLevels()
const level = (id: string) => table.levels.find((l) => l.id === id)!

test('the project table is valid and names a level for every row of the catalogue', () => {
  assert.ok(table.levels.length >= 24)
  assert.equal(variablesRead(table), ['order', 'productionPlan', 'purchaseRequest', 'shipment'])
})

test('a broken table is named with the file and the field, and no partial table is used', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sla-'))
  const file = path.join(dir, 'service-levels.json')
  const write = (levels: Partial<ServiceLevel>[]) => writeFile(file, JSON.stringify({ ...table, levels }))
  await write([{ ...level('gmApproval'), escalateTo: ['the-boss'] }])
  assert.throws(() => loadServiceLevels(file), /service-levels\.json: \/levels\/0\/escalateTo\/0 must be equal to one of the allowed values/)
  await write([{ ...level('gmApproval'), limit: '2 hours' }])
  assert.throws(() => loadServiceLevels(file), /\/levels\/0 \(gmApproval\) limit must be an ISO 8601 duration/)
  await write([level('gmApproval'), level('gmApproval')])
  assert.throws(() => loadServiceLevels(file), /\(gmApproval\) id is used twice/)
  await write([{ ...level('shippingInstruction'), reference: undefined }])
  assert.throws(() => loadServiceLevels(file), /needs reference/)
})

// The due instants (durations, working time, dates, month end, limitWhen, the urgent policy) are
// computed by the engine's serviceLevels bean and proved in engine/src/test/java/.../ServiceLevelsTest.java.

// ---- The table and the diagrams agree -----------------------------------------------------------

const diagrams = new Map<string, string>()
const diagram = (processId: string) => {
  if (!diagrams.has(processId)) diagrams.set(processId, readFileSync(path.join(projectRoot, 'processes', `${processId}.bpmn`), 'utf8'))
  return diagrams.get(processId)!
}
/** The XML of the element `id` (up to its closing tag). */
const elementXml = (xml: string, id: string) => {
  const start = xml.search(new RegExp(`<bpmn:\\w+ id="${id}"`))
  if (start < 0) return undefined
  const tag = /<bpmn:(\w+)/.exec(xml.slice(start))![1]
  return xml.slice(start, xml.indexOf(`</bpmn:${tag}>`, start))
}

/** The expression a timer or task uses for a level: `${serviceLevels.due(execution, 'gmApproval')}`. */
const call = (method: 'due' | 'followUp', id: string) => `\${serviceLevels.${method}(execution, '${id}')}`
const anyCall = /\$\{serviceLevels\.(due|followUp)\(execution, '(\w+)'\)\}/g

test('every level guards an element whose timer, citing its clause, waits for the engine-computed due instant', () => {
  const problems: string[] = []
  for (const l of table.levels) {
    const xml = diagram(l.process)
    const element = elementXml(xml, l.element)
    const at = `${l.id}: ${l.process} ${l.element}`
    if (!element) {
      problems.push(`${at} does not exist`)
      continue
    }
    if (l.kind === 'daily-at') {
      // One cron start timer may serve both daily slots (10:00 and 16:00): the element cites the clause, the process has the cycle.
      if (!/<bpmn:timeCycle/.test(xml) || !element.includes(l.clause)) problems.push(`${at} does not cite ${l.clause} in a process started by a timer cycle`)
      continue
    }
    const timers = [...xml.matchAll(/<bpmn:(boundaryEvent|intermediateCatchEvent) id="([^"]+)"[\s\S]*?<\/bpmn:\1>/g)]
      .map((m) => m[0])
      .filter((t) => t.includes(`>${call('due', l.id)}<`) && (t.includes(`attachedToRef="${l.element}"`) || t.includes(`id="${l.element}"`)))
    if (timers.length !== 1) problems.push(`${at} has ${timers.length} timers waiting for ${call('due', l.id)}`)
    else if (!timers[0].includes(l.clause.split(',')[0])) problems.push(`${at}: its timer does not cite ${l.clause}`)
    else if (timers[0].includes(`cancelActivity="${!l.interrupting}"`)) problems.push(`${at}: the timer's interrupting flag differs from the table`)
    if (/<bpmn:userTask /.test(element) && !(/camunda:dueDate="\$\{serviceLevels\.due\(execution, '\w+'\)\}"/.test(element) && /camunda:followUpDate="\$\{serviceLevels\.followUp\(execution, '\w+'\)\}"/.test(element))) {
      problems.push(`${at} is a user task without Tasklist due and follow-up dates from its levels`)
    }
  }
  assert.equal(problems, [])
})

test('every timer waiting for a level names one the table defines; at least 20 timers serve service levels; nothing waits for the old listener', () => {
  const ids = new Set(table.levels.map((l) => l.id))
  let timers = 0
  for (const processId of new Set(table.levels.map((l) => l.process))) {
    const xml = diagram(processId)
    for (const match of xml.matchAll(anyCall)) {
      assert.ok(ids.has(match[2]), `${processId} refers to level ${match[2]}, which processes/service-levels.json does not define`)
    }
    assert.not.match(xml, /sla-deadline|=sla\.\w+\.due/, `${processId} still uses the removed sla-deadline listener`)
    timers += [...xml.matchAll(/<bpmn:timeDate[^>]*>\$\{serviceLevels\.due\(/g)].length
    // The daily report's start timers serve D10 15G and 15D.
    timers += [...xml.matchAll(/<bpmn:timeCycle/g)].length
  }
  assert.ok(timers >= 20, `${timers} service-level timers`)
})

test('every service level of the catalogue (PROCESSES.md) is in the table', () => {
  const catalogue = path.join(projectRoot, '..', 'shared', 'PROCESSES.md')
  if (!existsSync(catalogue)) {
    console.log('  [info] ../shared/PROCESSES.md not found; the table is checked against the diagrams only')
    return
  }
  const text = readFileSync(catalogue, 'utf8')
  const after = text.slice(text.indexOf('Service levels, each an escalating timer:'))
  const rows = after.split('\n').slice(1).filter((line, i, lines) => /^\| D/.test(line) && lines.slice(0, i).every((l) => l === '' || l.startsWith('|')))
  assert.ok(rows.length >= 24, `${rows.length} rows read from the catalogue`)
  /** "D10 15G, 15D" → ["D10 15G", "D10 15D"]; "D2 一.五.1, D10 3B" → ["D2 一.五.1", "D10 3B"]. */
  const parts = (clause: string) => {
    let doc = ''
    return clause.split(/,\s*/).map((part) => {
      const m = /^(D\d+)\s+(.*)$/.exec(part)
      if (m) doc = m[1]
      return m ? `${m[1]} ${m[2]}` : `${doc} ${part}`
    })
  }
  const covered = new Set(table.levels.flatMap((l) => parts(l.clause)))
  const missing = rows.map((row) => row.split('|')[1].trim()).filter((clause) => !parts(clause).every((p) => covered.has(p)))
  assert.equal(missing, [])
})

test.run()
