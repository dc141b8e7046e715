import type { AddressInfo } from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { allowedCall, createTasklistBridge } from '../../lib/tasklist-bridge.ts'
import { config, eventually, search, uniqueOrderNumber, withWorkers } from '../helpers.ts'

const { start } = withWorkers(test)
const bridge = createTasklistBridge(config)
let base = ''

test.before(async () => {
  await new Promise<void>((resolve) => bridge.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(bridge.address() as AddressInfo).port}`
})
test.after(async () => {
  bridge.closeAllConnections()
  await new Promise((resolve) => bridge.close(resolve))
})

const call = (method: string, path: string, body?: unknown) =>
  fetch(base + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })

test('only the user-task calls Tasklist makes pass: assign, unassign, complete', () => {
  assert.ok(allowedCall('POST', '/v2/user-tasks/2251799813685343/assignment'))
  assert.ok(allowedCall('DELETE', '/v2/user-tasks/2251799813685343/assignee'))
  assert.ok(allowedCall('POST', '/v2/user-tasks/2251799813685343/completion'))
  assert.not.ok(allowedCall('GET', '/v2/user-tasks/2251799813685343/completion'))
  assert.not.ok(allowedCall('PATCH', '/v2/user-tasks/2251799813685343'))
  assert.not.ok(allowedCall('POST', '/v2/process-instances'))
  assert.not.ok(allowedCall('POST', '/v2/user-tasks/search'))
  assert.not.ok(allowedCall('POST', '/v2/user-tasks/1/completion/../../../process-instances'))
})

test('it refuses any other call without reaching the engine', async () => {
  const response = await call('POST', '/v2/process-instances', { bpmnProcessId: 'contract-order' })
  assert.is(response.status, 404)
  assert.match(await response.text(), 'forwards only user-task assignment and completion')
})

test('without a session of its own, a caller claims, releases and completes a real task through it', async () => {
  const orderNumber = uniqueOrderNumber('CT')
  const key = await start('contract-order', {
    order: {
      orderNumber,
      customer: { name: 'Guangzhou Telecom Works' },
      lines: [{ productName: 'Distribution frame', model: 'DF-200', quantity: 4 }],
      deliveryDate: '2027-03-01',
      shippingMethod: 'road',
      salesLeaderSignOff: { name: 'Li Wei' },
      shippedBefore: true,
      technicalFilesComplete: true,
    },
  })
  const [task] = await eventually('the Workshop review task', async () => {
    const tasks = await search.userTasks(key, 'WORKSHOP_REVIEW')
    return tasks.length > 0 && tasks
  })
  assert.is((await call('POST', `/v2/user-tasks/${task.key}/assignment`, { assignee: 'workshop-supervisor', allowOverride: true })).status, 204)
  assert.is((await call('DELETE', `/v2/user-tasks/${task.key}/assignee`)).status, 204)
  const completion = await call('POST', `/v2/user-tasks/${task.key}/completion`, {
    variables: { workshopReview: { deliveryDate: '2027-03-01', decision: 'feasible' } },
  })
  assert.is(completion.status, 204)
  await eventually('the task completed', async () => (await search.userTasks(key, 'WORKSHOP_REVIEW', 'COMPLETED')).length === 1)
})

test.run()
