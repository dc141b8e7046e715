import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createCalendar, type CalendarDefinition } from '../../lib/calendar.ts'
import { projectRoot } from '../../lib/config.ts'
import { deadlineOf, loadServiceLevels, variablesRead, type ServiceLevel, type ServiceLevelTable } from '../../lib/service-levels.ts'

const definition: CalendarDefinition = {
  timeZone: 'Asia/Shanghai',
  workingWeekdays: [1, 2, 3, 4, 5],
  workingHours: [
    { from: '08:30', to: '12:00' },
    { from: '13:30', to: '17:30' },
  ],
  holidays: ['2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07'],
  makeUpWorkingDays: ['2026-10-10'],
}
const calendar = createCalendar(definition)
const at = (local: string) => new Date(`${local}+08:00`)
const shanghai = (iso: string) => new Date(new Date(iso).getTime() + 8 * 3600 * 1000).toISOString().slice(0, 16).replace('T', ' ')

const table = loadServiceLevels()
const level = (id: string) => table.levels.find((l) => l.id === id)!
const due = (id: string, start: string, variables: Record<string, unknown> = {}, t: ServiceLevelTable = table) =>
  shanghai(deadlineOf(t, t.levels.find((l) => l.id === id)!, at(start), variables, calendar).due)

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

test('duration: real time, nights and weekends included', () => {
  assert.is(due('operatorResponse', '2026-11-27T17:00:00'), '2026-11-27 20:00')
  assert.is(due('changeReaction', '2026-11-28T23:50:00'), '2026-11-29 00:20')
})

test('working duration: 2 working hours from Friday 17:00 end Monday 10:00 (D10 2C)', () => {
  assert.is(due('gmApproval', '2026-11-27T17:00:00'), '2026-11-30 10:00')
  assert.is(due('gmApproval', '2026-11-24T07:00:00'), '2026-11-24 10:30', 'counted from the start of working hours')
})

test('working days across a public holiday and a make-up working day (D10 26B)', () => {
  // 30 Sep counts; 1–7 Oct are holidays or weekend; Saturday 10 Oct is worked; Sunday 11 Oct is not.
  assert.is(due('paymentOverdue', '2026-09-29T10:00:00'), '2026-10-12 10:00')
})

test('before a date: calendar days before a date-time, at the start of work before a date, working days before', () => {
  assert.is(due('shippingInstruction', '2026-11-24T10:00:00', { shipment: { deliveryDate: '2026-12-10T15:20:00+08:00' } }), '2026-12-09 15:20')
  assert.is(due('shippingInstruction', '2026-11-24T10:00:00', { shipment: { deliveryDate: '2026-12-10' } }), '2026-12-09 08:30')
  assert.is(due('supplierContact', '2026-11-24T10:00:00', { purchaseRequest: { plannedArrival: '2026-10-12' } }), '2026-09-29 08:30')
  assert.is(due('lateSupplier', '2026-11-24T10:00:00', { purchaseRequest: { plannedArrival: '2026-12-01' } }), '2026-12-01 18:00')
  // No date to count back from: the limit runs from the start of the step.
  assert.is(due('shippingInstruction', '2026-11-24T10:00:00', { shipment: {} }), '2026-11-25 10:00')
  assert.throws(() => due('shippingInstruction', '2026-11-24T10:00:00', { shipment: { deliveryDate: 'soon' } }), /shipment\.deliveryDate = "soon" is not a date/)
})

test('month end: the close of the last working day of the month the step starts in (D10 25B)', () => {
  assert.is(due('monthEndReconciliation', '2026-10-15T10:00:00'), '2026-10-30 17:30')
  assert.is(due('monthEndReconciliation', '2026-11-02T10:00:00'), '2026-11-30 17:30')
})

test('limitWhen: complete sets get 24 h for the production plan, other products 4 h (D2 二.一.1)', () => {
  assert.is(due('productionPlan', '2026-11-24T10:00:00', { order: { completeSet: true } }), '2026-11-25 10:00')
  assert.is(due('productionPlan', '2026-11-24T10:00:00', { order: {} }), '2026-11-24 14:00')
  assert.is(due('packagingNotice', '2026-11-24T10:00:00', { productionPlan: { packingDate: '2026-12-10', completeSet: true } }), '2026-12-07 08:30')
})

test('the urgent policy shortens duration and working-duration levels from one place (D7 4)', () => {
  const urgent = { order: { priority: 'urgent' } }
  assert.is(due('operatorResponse', '2026-11-24T10:00:00', urgent), '2026-11-24 11:30')
  assert.is(due('gmApproval', '2026-11-27T17:00:00', urgent), '2026-11-30 09:00', '1 working hour: 30 min on Friday, 30 min on Monday')
  assert.is(due('paymentOverdue', '2026-11-23T10:00:00', urgent), '2026-11-25 15:15', '5 working days × 0.5 = 2.5 working days of 7.5 h')
  assert.is(due('changeReaction', '2026-11-24T10:00:00', urgent), '2026-11-24 10:15', 'never below the policy minimum')
  assert.is(due('shippingInstruction', '2026-11-24T10:00:00', { ...urgent, shipment: { deliveryDate: '2026-12-10' } }), '2026-12-09 08:30', 'dates the plan fixes stay')
  const edited = { ...table, urgentPolicy: { ...table.urgentPolicy, factor: 0.25 } }
  assert.is(due('operatorResponse', '2026-11-24T10:00:00', urgent, edited), '2026-11-24 10:45')
  const deadline = deadlineOf(table, level('operatorResponse'), at('2026-11-24T10:00:00'), urgent, calendar)
  assert.equal([deadline.urgent, deadline.limit, shanghai(deadline.followUp)], [true, 'PT3H × 0.5', '2026-11-24 10:45'])
})

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

test('every level guards an element that computes its due date, and a timer citing its clause waits for it', () => {
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
      if (!/<bpmn:timeCycle/.test(element) || !element.includes(l.clause)) problems.push(`${at} is not a timer start event citing ${l.clause}`)
      continue
    }
    if (!element.includes('type="sla-deadline"')) problems.push(`${at} has no sla-deadline start listener`)
    const timers = [...xml.matchAll(/<bpmn:(boundaryEvent|intermediateCatchEvent) id="([^"]+)"[\s\S]*?<\/bpmn:\1>/g)]
      .map((m) => m[0])
      .filter((t) => t.includes(`=sla.${l.id}.due<`) && (t.includes(`attachedToRef="${l.element}"`) || t.includes(`id="${l.element}"`)))
    if (timers.length !== 1) problems.push(`${at} has ${timers.length} timers waiting for sla.${l.id}.due`)
    else if (!timers[0].includes(l.clause.split(',')[0])) problems.push(`${at}: its timer does not cite ${l.clause}`)
    else if (timers[0].includes(`cancelActivity="${!l.interrupting}"`)) problems.push(`${at}: the timer's interrupting flag differs from the table`)
    if (/<bpmn:userTask /.test(element) && !/<zeebe:taskSchedule dueDate="=sla\.\w+\.due" followUpDate="=sla\.\w+\.followUp"/.test(element)) {
      problems.push(`${at} is a user task without Tasklist due and follow-up dates from its levels`)
    }
  }
  assert.equal(problems, [])
})

test('every timer waiting for a level names one the table defines; at least 20 timers serve service levels', () => {
  const ids = new Set(table.levels.map((l) => l.id))
  let timers = 0
  for (const processId of new Set(table.levels.map((l) => l.process))) {
    for (const match of diagram(processId).matchAll(/=sla\.(\w+)\.(due|followUp)/g)) {
      assert.ok(ids.has(match[1]), `${processId} refers to sla.${match[1]}, which processes/service-levels.json does not define`)
    }
    timers += [...diagram(processId).matchAll(/<bpmn:timeDate[^>]*>=sla\.\w+\.due</g)].length
    // The daily report's start timers serve D10 15G and 15D.
    timers += [...diagram(processId).matchAll(/<bpmn:timeCycle/g)].length
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
