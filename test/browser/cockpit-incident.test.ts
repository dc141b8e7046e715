/**
 * An operator retries an incident in Cockpit: a worker failed an external task to zero retries
 * (the engine's incident), the administrator opens the instance in Cockpit, its Incidents tab,
 * retries it there and confirms; the incident is gone and the task can be fetched again.
 *
 * The process is the test's own (one external task on a topic no worker serves), so only the
 * test's own failure makes the incident, at a moment the test chooses.
 */
import { copyFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { projectRoot } from '../../lib/config.ts'
import { createEngineRest, engineCredentials } from '../../lib/engine-rest.ts'
import { ensureIdentity } from '../../lib/identity.ts'
import { cancelInstance, config, deployResources, eventually, oneTaskProcess, rest, search, startInstance, uniqueOrderNumber } from '../helpers.ts'
import { closeBrowser, logIn, newSession, webApp } from './support.ts'

const PROCESS = 'browser-cockpit-incident'
const TOPIC = 'browser-cockpit-incident'
const ERROR_MESSAGE = 'Carrier API answered 503 (browser test)'

const bpmn = oneTaskProcess(PROCESS, { topic: TOPIC, taskId: 'CALL_CARRIER', name: 'Call carrier', historyTimeToLive: 1 })

interface ExternalTask {
  id: string
  retries: number | null
  errorMessage: string | null
}

interface LockedTask {
  id: string
  processInstanceId: string
}

const worker = createEngineRest(config, engineCredentials(config, 'worker'))
const workerId = `browser-test-${process.pid}`
const started: string[] = []

test.before(async () => {
  await ensureIdentity(config)
  await deployResources(PROCESS, { [`${PROCESS}.bpmn`]: bpmn })
})
test.after(async () => {
  for (const id of started) await cancelInstance(id).catch(() => undefined)
  await closeBrowser()
})

/** As a worker does: fetches and locks the instance's task (waits until it can be fetched). */
function fetchAndLock(processInstanceId: string): Promise<LockedTask> {
  return eventually(`the external task of instance ${processInstanceId} to be fetched`, async () => {
    const tasks = await worker.post<LockedTask[]>('/external-task/fetchAndLock', {
      workerId,
      maxTasks: 1,
      topics: [{ topicName: TOPIC, lockDuration: 60000, processInstanceIdIn: [processInstanceId] }],
    })
    return tasks.find((t) => t.processInstanceId === processInstanceId)
  })
}

/** As a worker does when its call fails for good: reports the failure with no retries left (an incident). */
async function failToIncident(processInstanceId: string): Promise<string> {
  const locked = await fetchAndLock(processInstanceId)
  await worker.post(`/external-task/${locked.id}/failure`, {
    workerId,
    errorMessage: ERROR_MESSAGE,
    errorDetails: 'HTTP 503 from the carrier (raised by the browser test)',
    retries: 0,
    retryTimeout: 0,
  })
  return locked.id
}

test('an operator retries a failed external task in Cockpit; the incident is gone and the task has retries again', async () => {
  const orderNumber = uniqueOrderNumber('CI')
  const id = await startInstance(PROCESS, orderNumber, {})
  started.push(id)
  const taskId = await failToIncident(id)
  const [incident] = await eventually('the incident of the failed task', async () => {
    const incidents = await search.incidents(id)
    return incidents.length > 0 && incidents
  })
  assert.is(incident.incidentType, 'failedExternalTask')
  assert.is(incident.incidentMessage, ERROR_MESSAGE)
  assert.is((await rest.get<ExternalTask>(`/external-task/${taskId}`)).retries, 0)

  const { page, shot, close } = await newSession('cockpit-incident')
  try {
    await logIn(page, 'cockpit', config.ENGINE_ADMIN_USER, config.ENGINE_ADMIN_PASSWORD)
    await page.goto(webApp('cockpit', `#/process-instance/${id}/runtime?tab=incidents-tab`))
    const row = page.locator('tr', { hasText: ERROR_MESSAGE })
    await row.waitFor()
    assert.match(await row.innerText(), 'Call carrier')
    await shot('incident')

    await row.locator('a.action-button:visible').click()
    const dialog = page.locator('.modal-dialog')
    await dialog.getByText('Are you sure to increment the number of retries?').waitFor()
    const screenshot = await shot('retry-dialog')
    await mkdir(path.join(projectRoot, 'docs', 'screenshots'), { recursive: true })
    await copyFile(screenshot, path.join(projectRoot, 'docs', 'screenshots', 'cockpit-incident-retry.png'))
    await dialog.getByRole('button', { name: 'Retry' }).click()
    await dialog.getByText('Incrementing the number of retries finished successfully.').waitFor()
    await shot('retried')
    await dialog.getByRole('button', { name: 'OK' }).click()
    await dialog.waitFor({ state: 'detached' })
    // Cockpit reloads the tab: no incident is listed any more.
    await page.getByText('No incidents').waitFor()
    assert.is(await page.locator('tr', { hasText: ERROR_MESSAGE }).count(), 0)
    await shot('after-retry')
  } catch (error) {
    await shot('failed').catch(() => undefined)
    throw error
  } finally {
    await close()
  }

  assert.equal(await search.incidents(id), [], 'the incident is resolved')
  const task = await rest.get<ExternalTask>(`/external-task/${taskId}`)
  assert.ok((task.retries ?? 0) > 0, `the task has retries again (${task.retries})`)
  // The task is back in the queue: a worker gets it again, completes it, and the instance ends.
  const again = await fetchAndLock(id)
  assert.is(again.id, taskId)
  await worker.post(`/external-task/${taskId}/complete`, { workerId })
  await eventually(`instance ${id} to complete`, async () => (await search.processInstanceState(id)) === 'COMPLETED')
})

test.run()
