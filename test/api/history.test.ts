import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { csvColumns, csvField, historyCsv, type HistoryItem } from '../../api/history.ts'

test('CSV fields are quoted when needed and never start a formula', () => {
  assert.is(csvField(null), '')
  assert.is(csvField('plain'), 'plain')
  assert.is(csvField('a, b'), '"a, b"')
  assert.is(csvField('say "hi"'), '"say ""hi"""')
  assert.is(csvField('two\nlines'), '"two\nlines"')
  assert.is(csvField('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`)
  assert.is(csvField('+1'), "'+1")
  assert.is(csvField('@SUM(A1)'), "'@SUM(A1)")
  assert.is(csvField({ formData: { a: 1 } }), '"{""formData"":{""a"":1}}"')
})

test('the CSV has a header row and one CRLF-terminated row per item', () => {
  const item: HistoryItem = {
    at: '2026-11-24T01:00:00.000Z', kind: 'user-task', source: 'engine', processInstanceKey: '1', bpmnProcessId: 'shop-order',
    elementId: 'CONFIRM_ORDER', elementName: 'Confirm order', elementType: 'USER_TASK', state: 'COMPLETED', endedAt: null,
    actor: 'li.na', clause: 'D6 2', procedure: 'D6 2 — confirm', outcome: 'completed', details: { formData: { ok: true } },
  }
  const csv = historyCsv({ orderNumber: 'SO-2026-000001', generatedAt: '', processInstanceKeys: ['1'], items: [item] })
  const lines = csv.split('\r\n')
  assert.is(lines[0], csvColumns.join(','))
  assert.is(lines[1], '2026-11-24T01:00:00.000Z,user-task,engine,1,shop-order,CONFIRM_ORDER,Confirm order,USER_TASK,COMPLETED,,li.na,D6 2,completed,D6 2 — confirm,"{""formData"":{""ok"":true}}"')
  assert.is(lines[2], '')
})

test.run()
