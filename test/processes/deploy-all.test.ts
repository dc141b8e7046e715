/**
 * Everything under processes/ and forms/ deploys to the real engine in one deployment, and every
 * process starts: by createProcessInstance where it has a none start event, by its message where
 * it starts only on a message, and, where it starts only on a timer (daily-production-report),
 * by being in the deployment. The started instances are cancelled afterwards.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { deployAll, deployableFiles } from '../../lib/deploy.ts'
import { loadModel, type ModelElement, type ProjectModel } from '../../lib/model.ts'
import { eventually, openClients, rest, uniqueOrderNumber } from '../helpers.ts'

const { camunda } = openClients()
const zeebe = camunda.getZeebeGrpcApiClient()
const model = await loadModel()
const started: string[] = []
let deployed: { processes: string[]; decisions: string[]; forms: string[] } | undefined

test.after(async () => {
  for (const key of started) await zeebe.cancelProcessInstance(key).catch(() => undefined)
  await zeebe.close()
})

/** Minimal plausible start variables of each process (the shapes of the brief and PROCESSES.md). */
function startVariables(processId: string): Record<string, unknown> {
  const order = (prefix: string, channel: string) => ({
    orderNumber: uniqueOrderNumber(prefix),
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
          returnNumber: uniqueOrderNumber('RR'),
          orderNumber: uniqueOrderNumber('SO'),
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
          caseNumber: uniqueOrderNumber('AS'),
          orderNumber: uniqueOrderNumber('CO'),
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

/** Starts a process that begins only on a message; finds the instance by a marker variable. */
async function startByMessage(processId: string, messageName: string, variables: Record<string, unknown>): Promise<string> {
  const marker = `deploy-all-${processId}-${Date.now()}`
  await zeebe.publishMessage({ name: messageName, correlationKey: marker, variables: { ...variables, deployCheck: marker }, timeToLive: 0 })
  return eventually(`an instance of ${processId} started by message ${messageName}`, async () => {
    const found = await rest.post<{ items: { processInstanceKey: number }[] }>('/v1/variables/search', {
      filter: { name: 'deployCheck', value: JSON.stringify(marker) },
    })
    return found.items[0] && String(found.items[0].processInstanceKey)
  })
}

test('every process, decision and form deploys together', async () => {
  const files = await deployableFiles()
  const response = await deployAll(camunda, files)
  const deployments = response.deployments as { process?: { bpmnProcessId: string }; decision?: { dmnDecisionId: string }; form?: { formId: string } }[]
  deployed = {
    processes: deployments.flatMap((d) => (d.process ? [d.process.bpmnProcessId] : [])).sort(),
    decisions: deployments.flatMap((d) => (d.decision ? [d.decision.dmnDecisionId] : [])).sort(),
    forms: deployments.flatMap((d) => (d.form ? [d.form.formId] : [])).sort(),
  }
  assert.equal(deployed.processes, model.processes.map((p) => p.id).sort())
  assert.equal(deployed.decisions, model.decisions.map((d) => d.id).sort())
  assert.equal(deployed.forms, model.forms.map((f) => f.stem).sort())
})

test('every deployed process starts (timer-started ones: deployed)', async () => {
  assert.ok(deployed, 'the deployment failed, so nothing can start')
  const problems: string[] = []
  for (const { id: processId } of model.processes) {
    const starts = topLevelStarts(model, processId)
    const noneStart = starts.find((e) => e.eventDefinitions.length === 0)
    const message = model.messages.find((m) => m.processId === processId && m.kind === 'process-start')
    try {
      if (noneStart) {
        const instance = await zeebe.createProcessInstance({ bpmnProcessId: processId, variables: JSON.parse(JSON.stringify(startVariables(processId))) })
        started.push(instance.processInstanceKey)
      } else if (message?.messageName && !message.messageName.startsWith('=')) {
        started.push(await startByMessage(processId, message.messageName, startVariables(processId)))
      } else if (starts.length && starts.every((e) => e.eventDefinitions.includes('bpmn:TimerEventDefinition'))) {
        if (!deployed.processes.includes(processId)) problems.push(`${processId}: timer-started, but not in the deployment`)
      } else {
        problems.push(`${processId}: no none, message or timer start event to start it by`)
      }
    } catch (error) {
      problems.push(`${processId}: ${(error as Error).message}`)
    }
  }
  assert.ok(problems.length === 0, `processes that did not start:\n  - ${problems.join('\n  - ')}`)
})

test.run()
