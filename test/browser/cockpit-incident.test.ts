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
import { cancelInstance, config, deployResources, eventually, rest, search, startInstance, uniqueOrderNumber } from '../helpers.ts'
import { closeBrowser, logIn, newSession, webApp } from './support.ts'

const PROCESS = 'browser-cockpit-incident'
const TOPIC = 'browser-cockpit-incident'
const ERROR_MESSAGE = 'Carrier API answered 503 (browser test)'

const bpmn = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_${PROCESS}" targetNamespace="http://order-flow/test">
  <bpmn:process id="${PROCESS}" name="Browser test: incident" isExecutable="true" camunda:historyTimeToLive="1">
    <bpmn:startEvent id="START"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="CALL_CARRIER" name="Call carrier" camunda:type="external" camunda:topic="${TOPIC}">
      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="END"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="START" targetRef="CALL_CARRIER" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="CALL_CARRIER" targetRef="END" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_1">
    <bpmndi:BPMNPlane id="Plane_1" bpmnElement="${PROCESS}">
      <bpmndi:BPMNShape id="START_di" bpmnElement="START"><dc:Bounds x="152" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="CALL_CARRIER_di" bpmnElement="CALL_CARRIER"><dc:Bounds x="240" y="80" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="END_di" bpmnElement="END"><dc:Bounds x="392" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_1_di" bpmnElement="Flow_1"><di:waypoint x="188" y="120" /><di:waypoint x="240" y="120" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_2_di" bpmnElement="Flow_2"><di:waypoint x="340" y="120" /><di:waypoint x="392" y="120" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`

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
