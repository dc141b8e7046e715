import { mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Ajv } from 'ajv'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { databaseUnreachable } from '../../lib/db.ts'
import { databaseBackOffMs, describeSchemaErrors, engineSafeMessage, loadWorkerModules, retryBackOffMs } from '../../lib/worker-runtime.ts'
import { variablesSchema } from '../../workers/order-validate.ts'

test('every module in workers/ keeps the contract', async () => {
  const modules = await loadWorkerModules()
  assert.ok(modules.some((m) => m.taskType === 'order-validate'))
  for (const mod of modules) {
    assert.type(mod.createHandler, 'function')
    assert.ok(Array.isArray(mod.errorCodes))
  }
})

test('a module whose job type differs from its file name is refused', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'workers-'))
  await writeFile(
    path.join(dir, 'stock-check.ts'),
    "export const taskType = 'inventory-check'\nexport const variablesSchema = { properties: {} }\nexport const errorCodes = []\nexport const createHandler = () => async () => ({ kind: 'complete', variables: {} })\n",
  )
  try {
    await loadWorkerModules(dir)
    assert.unreachable('module accepted')
  } catch (error) {
    assert.match((error as Error).message, 'workers/stock-check.ts exports taskType "inventory-check"; the file name says "stock-check"')
  }
})

test('schema errors name the variable path', () => {
  const validate = new Ajv({ allErrors: true }).compile(variablesSchema)
  assert.not.ok(validate({ order: { orderNumber: 42 } }))
  assert.match(describeSchemaErrors(validate.errors), 'order.orderNumber must be string')
  assert.not.ok(validate({}))
  assert.is(describeSchemaErrors(validate.errors), 'order is missing')
  assert.not.ok(validate({ order: {} }))
  assert.is(describeSchemaErrors(validate.errors), 'order.orderNumber is missing')
})

test('retry back-off doubles from one second up to a minute; from ten seconds when the database is out of reach', () => {
  assert.equal([0, 1, 2, 3, 10].map(retryBackOffMs), [1000, 2000, 4000, 8000, 60000])
  assert.equal([0, 1, 2, 5].map(databaseBackOffMs), [10000, 20000, 40000, 120000])
  assert.ok(databaseUnreachable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })))
  assert.ok(databaseUnreachable(new Error('Connection terminated unexpectedly')))
  assert.ok(databaseUnreachable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })))
  assert.not.ok(databaseUnreachable(new Error('duplicate key value violates unique constraint')))
})

test.run()

test('messages sent to the engine carry no % sign (it stops 8.6.0 Operate importing jobs)', () => {
  assert.is(engineSafeMessage('Pass rate 80 % (8 of 10) is below 100 %'), 'Pass rate 80 ％ (8 of 10) is below 100 ％')
  assert.is(engineSafeMessage('no percent here'), 'no percent here')
})
