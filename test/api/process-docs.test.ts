import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { clausesOf, elementDocs } from '../../api/process-docs.ts'

test('the clauses an element cites are read from its documentation', () => {
  assert.is(clausesOf('D1 第4条 2 — check product name, model, quantity.'), 'D1 第4条 2')
  assert.is(
    clausesOf('D1 第4条 1 — the logistics clerk receives the order from sales. D7 1 — an urgent order arrives with order.priority = "urgent".'),
    'D1 第4条 1; D7 1',
  )
  assert.is(clausesOf('D2 一.五.1, D10 3B — production instruction within 4 h.'), 'D2 一.五.1, D10 3B')
  assert.is(clausesOf('D5 一.1–2 — the shop creates the order; D6 1 — submitted with name and address'), 'D5 一.1–2; D6 1')
  assert.is(clausesOf('PROCESSES.md §1 — message order-cancel-requested, only before shipment.'), null)
  assert.is(clausesOf('No clause here.'), null)
})

test('every element of a diagram gets its name, type and clause', async () => {
  const docs = await elementDocs(readFileSync('processes/contract-order.bpmn', 'utf8'))
  const validate = docs.get('VALIDATE_ORDER')
  assert.ok(validate)
  assert.is(validate.type, 'bpmn:ServiceTask')
  assert.is(validate.clause, 'D1 第4条 2')
  assert.ok(validate.documentation?.startsWith('D1 第4条 2 — '))
  // Elements inside event sub-processes are found too.
  assert.is(docs.get('ASSESS_CHANGE')?.clause, 'D2 一.五.2')
})

test.run()
