import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { projectRoot } from '../../lib/config.ts'
import { deployAll } from '../../lib/deploy.ts'
import { eventually, openClients, rest, search } from '../helpers.ts'

const { camunda, db } = openClients()
const zeebe = camunda.getZeebeGrpcApiClient()

test.after(async () => {
  await rest.post('/v2/clock/reset')
  await zeebe.close()
  await db.destroy()
})

test('the engine clock can be pinned ahead through the REST API, and timers follow it', async () => {
  await deployAll(camunda, [{ file: path.join(projectRoot, 'test/fixtures/test-clock-check.bpmn'), kind: 'process' }])
  const { processInstanceKey } = await zeebe.createProcessInstance({ bpmnProcessId: 'test-clock-check', variables: {} })
  await eventually('the one-hour timer to wait', async () => (await search.flowNodes(processInstanceKey)).some((n) => n.flowNodeId === 'WAIT_1H'))
  assert.is.not(await search.processInstanceState(processInstanceKey), 'COMPLETED')

  await rest.put('/v2/clock', { timestamp: Date.now() + 2 * 3600 * 1000 })
  await eventually('the timer to fire on the pinned clock', async () => (await search.processInstanceState(processInstanceKey)) === 'COMPLETED', 30000)
})

test.run()
