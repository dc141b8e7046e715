/**
 * Everything under processes/ and forms/ deploys to the real engine in one deployment, and every
 * process starts: by its none start event with the order number as business key, where it has
 * one; where it starts only on a timer (daily-production-report), by being deployed with its timer
 * job scheduled. Starting evaluates the first expressions (input mappings, the SLA bean, listeners)
 * against real variables. The started instances are deleted afterwards.
 */
import { randomUUID } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadConfig } from '../../lib/config.ts'
import { DEPLOYMENT_NAME, deployAll, deployableFiles } from '../../lib/deploy.ts'
import { createEngineRest, toEngineVariables } from '../../lib/engine-rest.ts'
import { loadModel, type ModelElement, type ProjectModel } from '../../lib/model.ts'

const config = loadConfig()
const engine = createEngineRest(config)
const model = await loadModel()
const started: string[] = []
let deployed = false

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`

test.after(async () => {
  for (const id of started) await engine.delete(`/process-instance/${id}?skipCustomListeners=true&skipIoMappings=true`).catch(() => undefined)
})

/** Minimal plausible start variables of each process (the shapes of the brief and PROCESSES.md). */
function startVariables(processId: string): Record<string, unknown> {
  const order = (prefix: string, channel: string) => ({
    orderNumber: unique(prefix),
    channel,
    priority: 'normal',
    customer: { name: 'Guangzhou Telecom Works', contact: 'Chen Jing', phone: '+86 20 5555 0100', address: '18 Huangpu Road, Guangzhou' },
    lines: [{ productName: 'Distribution frame', model: 'DF-200', quantity: 4, sku: 'DF-200-STD' }],
    deliveryDate: '2027-03-01',
    shippingMethod: 'road',
    salesLeaderSignOff: { name: 'Li Wei' },
    shippedBefore: true,
    technicalFilesComplete: true,
  })
  switch (processId) {
    case 'shop-order':
      return { order: { ...order('SO', 'shop'), paymentConfirmed: true, paidAt: '2026-11-20T09:30:00Z', amount: 1280 } }
    case 'shipment': {
      const shipped = order('CO', 'contract')
      return {
        order: shipped,
        shipment: {
          orderNumber: shipped.orderNumber,
          deliveryDate: shipped.deliveryDate,
          shippingMethod: shipped.shippingMethod,
          deliveryAddress: shipped.customer.address,
        },
      }
    }
    case 'return-refund':
      return {
        returnRequest: {
          returnNumber: unique('RR'),
          orderNumber: unique('SO'),
          items: [{ sku: 'DF-200-STD', productName: 'Distribution frame', quantity: 1, unitPrice: 320 }],
          reason: 'damaged on arrival',
          reasonKind: 'quality',
          receivedAt: '2026-11-21T10:00:00Z',
          tagsAndPackagingIntact: true,
          amountPaid: 320,
        },
      }
    case 'after-sales-case':
      return {
        serviceCase: {
          caseNumber: unique('AS'),
          orderNumber: unique('CO'),
          kind: 'service-request',
          customer: { name: 'Guangzhou Telecom Works', phone: '+86 20 5555 0100' },
          description: 'Commissioning of the distribution frames on site',
        },
      }
    default:
      return { order: order('CO', 'contract') }
  }
}

const topLevelStarts = (project: ProjectModel, processId: string): ModelElement[] =>
  project.elements.filter((e) => e.processId === processId && e.type === 'bpmn:StartEvent' && e.parentId === processId)

interface Definition {
  id: string
  key: string
  deploymentId: string
}

test('every process, decision and form deploys together', async () => {
  await deployAll(config, await deployableFiles())
  deployed = true
  const processes = await engine.get<Definition[]>('/process-definition?latestVersion=true')
  const decisions = await engine.get<Definition[]>('/decision-definition?latestVersion=true')
  const keys = (defs: Definition[]) => defs.map((d) => d.key)
  for (const p of model.processes) assert.ok(keys(processes).includes(p.id), `process ${p.id} is not deployed`)
  for (const d of model.decisions) assert.ok(keys(decisions).includes(d.id), `decision ${d.id} is not deployed`)
  // Forms are resolved in the deployment of the process (formRefBinding="deployment").
  const problems: string[] = []
  for (const p of model.processes) {
    const definition = processes.find((d) => d.key === p.id)!
    const resources = await engine.get<{ name: string }[]>(`/deployment/${definition.deploymentId}/resources`)
    const names = new Set(resources.map((r) => r.name))
    for (const task of model.userTasks.filter((t) => t.processId === p.id)) {
      if (!names.has(`${task.formId}.form`)) problems.push(`${p.id} ${task.id}: form ${task.formId} is not in the deployment of its process`)
    }
  }
  assert.ok(problems.length === 0, problems.join('\n'))
})

test('deploying again changes nothing (duplicate filtering)', async () => {
  const before = await engine.get<Definition[]>('/process-definition?latestVersion=true')
  const result = await deployAll(config, await deployableFiles())
  assert.is(result.created, false)
  const after = await engine.get<Definition[]>('/process-definition?latestVersion=true')
  assert.equal(after.map((d) => d.id).sort(), before.map((d) => d.id).sort())
  const deployments = await engine.get<{ name: string }[]>(`/deployment?name=${DEPLOYMENT_NAME}`)
  assert.ok(deployments.length > 0)
})

test('every deployed process starts (timer-started ones: timer job scheduled)', async () => {
  assert.ok(deployed, 'the deployment failed, so nothing can start')
  const problems: string[] = []
  for (const { id: processId } of model.processes) {
    const starts = topLevelStarts(model, processId)
    const noneStart = starts.find((e) => e.eventDefinitions.length === 0)
    try {
      if (noneStart) {
        const variables = JSON.parse(JSON.stringify(startVariables(processId))) as Record<string, Record<string, string>>
        const first = Object.values(variables)[0]
        const businessKey = first.orderNumber ?? unique('X')
        const instance = await engine.post<{ id: string; ended: boolean }>(`/process-definition/key/${processId}/start`, {
          businessKey,
          variables: toEngineVariables({ ...variables, orderNumber: businessKey }),
        })
        started.push(instance.id)
        const incidents = await engine.get<{ incidentMessage: string }[]>(`/incident?processInstanceId=${instance.id}`)
        if (instance.ended) problems.push(`${processId}: ended at once`)
        for (const incident of incidents) problems.push(`${processId}: incident ${incident.incidentMessage}`)
      } else if (starts.length && starts.every((e) => e.eventDefinitions.includes('bpmn:TimerEventDefinition'))) {
        const definition = (await engine.get<Definition[]>(`/process-definition?key=${processId}&latestVersion=true`))[0]
        const jobs = await engine.get<unknown[]>(`/job?processDefinitionId=${definition.id}&timers=true`)
        if (jobs.length === 0) problems.push(`${processId}: timer-started, but no timer job is scheduled`)
      } else {
        problems.push(`${processId}: no none or timer start event to start it by`)
      }
    } catch (error) {
      problems.push(`${processId}: ${(error as Error).message}`)
    }
  }
  assert.ok(problems.length === 0, `processes that did not start:\n  - ${problems.join('\n  - ')}`)
})

test.run()
