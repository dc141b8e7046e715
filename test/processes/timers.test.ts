/**
 * Timers on the real engine, which has no clock control over REST: the job executor fires a due
 * timer within 2 s on its own (the engine app tunes it; Spring Boot's defaults wait up to 60 s),
 * and a test that cannot wait for a timer's date reads the timer job's due date and fires it
 * through the job API (what the path tests do).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cancelInstance, eventually, fireTimer, rest, search, startInstance, timerJob, deployResources, uniqueOrderNumber } from '../helpers.ts'

const processId = 'test-timer-check'
/** START → WAIT_UNTIL_DUE (timer at the variable dueAt) → DONE. */
const bpmn = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="test-timer-check-definitions" targetNamespace="http://order-flow/test">
  <bpmn:process id="${processId}" name="Test: timer check" isExecutable="true" camunda:historyTimeToLive="1">
    <bpmn:startEvent id="START" />
    <bpmn:sequenceFlow id="TO_WAIT" sourceRef="START" targetRef="WAIT_UNTIL_DUE" />
    <bpmn:intermediateCatchEvent id="WAIT_UNTIL_DUE">
      <bpmn:timerEventDefinition><bpmn:timeDate xsi:type="bpmn:tFormalExpression">\${dueAt}</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="TO_DONE" sourceRef="WAIT_UNTIL_DUE" targetRef="DONE" />
    <bpmn:endEvent id="DONE" />
  </bpmn:process>
</bpmn:definitions>
`

const started: string[] = []

test.before(async () => {
  await deployResources(processId, { [`${processId}.bpmn`]: bpmn })
})

test.after(async () => {
  for (const id of started) await cancelInstance(id)
})

async function start(dueAt: Date) {
  const id = await startInstance(processId, uniqueOrderNumber('TT'), { dueAt: dueAt.toISOString() })
  started.push(id)
  return id
}

/** An entry of the engine's job log: created, then executed (successful) or failed. */
interface JobLogEntry {
  timestamp: string
  jobDueDate: string | null
  creationLog: boolean
  successLog: boolean
}

test('a timer fires on its own within 2 s of its due date (job executor, real time)', async () => {
  const dueAt = new Date(Date.now() + 1000)
  const id = await start(dueAt)
  await eventually(`instance ${id} COMPLETED by its timer`, async () => (await search.processInstanceState(id)) === 'COMPLETED', 15000)

  // The job log keeps the timer's due date and when the job executor ran it (the job itself is gone).
  const log = await rest.get<JobLogEntry[]>(`/history/job-log?processInstanceId=${id}&activityIdIn=WAIT_UNTIL_DUE&sortBy=timestamp&sortOrder=asc`)
  const created = log.find((entry) => entry.creationLog)
  const ran = log.find((entry) => entry.successLog)
  assert.ok(created && ran, `the job log has the creation and the execution: ${JSON.stringify(log)}`)
  assert.is(new Date(created.jobDueDate!).getTime(), dueAt.getTime(), 'the timer job was due at the date the diagram computed')
  const lateMs = new Date(ran.timestamp).getTime() - dueAt.getTime()
  assert.ok(lateMs >= 0, `fired no earlier than due (${lateMs} ms)`)
  assert.ok(lateMs <= 2000, `fired ${lateMs} ms after its due date; at most 2000 ms allowed`)
})

test('a timer due tomorrow is read through the job API and fired now with POST /job/{id}/execute', async () => {
  const dueAt = new Date(Date.now() + 86400000)
  const id = await start(dueAt)
  const job = await timerJob(id, 'WAIT_UNTIL_DUE')
  assert.is(new Date(job.dueDate).getTime(), dueAt.getTime())
  assert.is(await search.processInstanceState(id), 'ACTIVE')

  await fireTimer(job)
  assert.is(await search.processInstanceState(id), 'COMPLETED', 'executing the job ran the instance to its end')
  assert.equal((await search.flowNodes(id)).map((n) => [n.flowNodeId, n.state]), [
    ['START', 'COMPLETED'], ['WAIT_UNTIL_DUE', 'COMPLETED'], ['DONE', 'COMPLETED'],
  ])
})

test.run()
