/**
 * History cleanup as engine/src/main/resources/application.yaml configures it: removal-time based,
 * the removal time set when a root instance ends (end + the process's historyTimeToLive). An
 * instance of a process whose time to live is 0 days is removable the moment it ends; one of a
 * process that keeps its history 180 days stays. The cleanup is started through the REST API
 * (outside its night window) and its jobs executed at once, as an operator would from Cockpit.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EngineRestError } from '../../lib/engine-rest.ts'
import { deployResources, eventually, oneTaskProcess, rest, startInstance, uniqueOrderNumber, type HistoricProcessInstance } from '../helpers.ts'

/** What GET /history/cleanup/configuration answers in Operaton 1.0.3 (strategy and batch size are not shown). */
interface CleanupConfiguration {
  batchWindowStartTime: string
  batchWindowEndTime: string
  enabled: boolean
}

interface Job {
  id: string
  exceptionMessage: string | null
}

/** A process of one user task, so the test ends it itself (no worker involved). */
const userTaskProcess = (id: string, historyTimeToLive: number) => oneTaskProcess(id, { candidateGroups: 'sales-assistant', name: `history cleanup, ${historyTimeToLive} days`, historyTimeToLive })

/** Starts an instance and completes its one user task: the instance ends, its removal time is set. */
async function runToEnd(processKey: string): Promise<{ id: string; removalTime: string | null }> {
  const id = await startInstance(processKey, uniqueOrderNumber('HC'), {})
  const [task] = await rest.get<{ id: string }[]>(`/task?processInstanceId=${id}`)
  assert.ok(task, `the user task of ${processKey} instance ${id} is open`)
  await rest.post(`/task/${task.id}/complete`, { variables: {} })
  const historic = await rest.get<HistoricProcessInstance & { state: string; removalTime: string | null }>(`/history/process-instance/${id}`)
  assert.is(historic.state, 'COMPLETED', `${processKey} instance ${id} ended`)
  return { id, removalTime: historic.removalTime }
}

const historyOf = async (id: string) => ({
  instances: (await rest.get<{ count: number }>(`/history/process-instance/count?processInstanceId=${id}`)).count,
  activities: (await rest.get<{ count: number }>(`/history/activity-instance/count?processInstanceId=${id}`)).count,
  tasks: (await rest.get<{ count: number }>(`/history/task/count?processInstanceId=${id}`)).count,
})

/** Runs every history cleanup job now; one already running on the job executor is left to finish. */
async function cleanUpNow(): Promise<void> {
  await rest.post('/history/cleanup?immediatelyDue=true')
  const jobs = await rest.get<Job[]>('/history/cleanup/jobs')
  assert.ok(jobs.length > 0, 'POST /history/cleanup scheduled the cleanup jobs')
  for (const job of jobs) {
    await rest.post(`/job/${job.id}/execute`).catch((error) => {
      // The job executor may have taken the job meanwhile (locked: 500 with OptimisticLocking, or done).
      if (!(error instanceof EngineRestError)) throw error
    })
  }
}

test('the cleanup runs in the night window 01:00–05:00 as two parallel jobs', async () => {
  const configuration = await rest.get<CleanupConfiguration>('/history/cleanup/configuration')
  const clock = (date: string) => new Date(date).toISOString().slice(11, 16)
  assert.equal([clock(configuration.batchWindowStartTime), clock(configuration.batchWindowEndTime), configuration.enabled], ['01:00', '05:00', true])
  await rest.post('/history/cleanup')
  assert.is((await rest.get<Job[]>('/history/cleanup/jobs')).length, 2, 'history-cleanup-degree-of-parallelism: 2 jobs')
})

test('the history of an instance past its time to live is removed; one within its time to live stays', async () => {
  await deployResources('test-history-cleanup', {
    'test-history-ttl-0.bpmn': userTaskProcess('test-history-ttl-0', 0),
    'test-history-ttl-180.bpmn': userTaskProcess('test-history-ttl-180', 180),
  })
  const expired = await runToEnd('test-history-ttl-0')
  const kept = await runToEnd('test-history-ttl-180')
  // Removal-time based with the removal time set at the end: end + 0 days, end + 180 days.
  assert.ok(expired.removalTime && Math.abs(Date.parse(expired.removalTime) - Date.now()) < 60000, `removal time = end time (${expired.removalTime})`)
  assert.ok(kept.removalTime && Date.parse(kept.removalTime) - Date.now() > 179 * 24 * 3600 * 1000, `removal time 180 days ahead (${kept.removalTime})`)
  const before = await historyOf(expired.id)
  assert.equal([before.instances, before.tasks], [1, 1], 'the expired instance has history before the cleanup')
  assert.ok(before.activities >= 3, 'start, task and end are in the history')

  await cleanUpNow()
  await eventually(`the history of ${expired.id} (time to live 0 days) to be removed`, async () => {
    const after = await historyOf(expired.id)
    if (after.instances + after.activities + after.tasks === 0) return true
    await cleanUpNow()
    return false
  })
  const stays = await historyOf(kept.id)
  assert.equal([stays.instances, stays.tasks], [1, 1], 'the history of the instance with 180 days to live stays')
  assert.ok(stays.activities >= 3)
  const failed = (await rest.get<Job[]>('/history/cleanup/jobs')).filter((job) => job.exceptionMessage)
  assert.equal(failed.map((job) => job.exceptionMessage), [], 'no cleanup job failed')
})

test.run()
