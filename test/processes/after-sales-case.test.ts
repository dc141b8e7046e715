import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fromEngineVariables, type EngineVariables } from '../../lib/engine-rest.ts'
import { completeUserTask, eventually, rest, search, uniqueOrderNumber, waitUserTask, withWorkers, type UserTask } from '../helpers.ts'

const { start: startInstance } = withWorkers(test)

const start = (orderNumber: string, variables: Record<string, unknown>) => startInstance('after-sales-case', orderNumber, variables)

/** Waits for the open user task `elementId` and completes it with `variables`. */
async function complete(key: string, elementId: string, variables: Record<string, unknown>): Promise<UserTask> {
  const task = await waitUserTask(key, elementId)
  await completeUserTask(task, variables)
  return task
}

async function closedPath(key: string) {
  await eventually(`instance ${key} COMPLETED`, async () => (await search.processInstanceState(key)) === 'COMPLETED')
  return eventually(`CASE_CLOSED in the flow nodes of ${key}`, async () => {
    const nodes = (await search.flowNodes(key)).map((n) => n.flowNodeId)
    return nodes.includes('CASE_CLOSED') && nodes
  })
}

const serviceRequest = (orderNumber: string, requestedService: string) => ({
  serviceRequest: {
    receivedAt: '2026-11-24T09:00', orderNumber, customer: 'Guangzhou Telecom Works',
    contact: { name: 'Chen Jie', phone: '020-12345678' }, product: 'Network cabinet', model: 'NC-42U-6010',
    problemDescription: 'How do I level the cabinet feet?', requestedService,
  },
})
const contact = (onsiteVisit: 'required' | 'not-required') => ({
  customerContact: { contactedAt: '2026-11-24T10:00', channel: 'phone', summary: 'Agreed next steps', onsiteVisit, plannedServiceDate: '2026-11-25T09:00' },
})
const resolution = (action: string) => ({ caseResolution: { action, details: `Resolved by ${action}`, resolvedOn: '2026-11-24T15:00' } })
const confirmation = (outcome: 'confirmed' | 'not-confirmed') => ({
  customerConfirmation: { outcome, confirmedBy: 'Chen Jie', feedback: outcome === 'confirmed' ? 'Thanks' : 'Still wobbles' },
})

test('a service request: record → contact → resolve → customer confirmation → CASE_CLOSED, no analysis', async () => {
  const orderNumber = uniqueOrderNumber('AS')
  const key = await start(orderNumber, { serviceCase: { caseNumber: `AS-${orderNumber}`, orderNumber, kind: 'service-request', description: 'Question on installation' } })

  const record = await complete(key, 'RECORD_SERVICE_REQUEST', serviceRequest(orderNumber, 'answer'))
  assert.equal(record.candidateGroup, ['sales-assistant'])
  assert.is(record.formKey, 'after-sales-case.record-service-request', 'the record task links its form')
  const contactTask = await complete(key, 'CONTACT_CUSTOMER', contact('not-required'))
  assert.equal(contactTask.candidateGroup, ['after-sales'])
  await complete(key, 'RESOLVE_CASE', resolution('answer'))
  // Not confirmed the first time: resolved again (D2 三.3(3)).
  await complete(key, 'CUSTOMER_CONFIRMATION', confirmation('not-confirmed'))
  await complete(key, 'RESOLVE_CASE', resolution('answer'))
  await complete(key, 'CUSTOMER_CONFIRMATION', confirmation('confirmed'))

  const path = await closedPath(key)
  assert.is(path.filter((id) => id === 'RESOLVE_CASE').length, 2)
  assert.not.ok(path.includes('ONSITE_SERVICE'))
  assert.not.ok(path.includes('COMPLAINT_ANALYSIS'))
  assert.not.ok(path.includes('CARRIER_CLAIM'))
})

test('a damage case (as shipment starts it): on-site visit, complaint analysis and carrier claim, then CASE_CLOSED', async () => {
  const orderNumber = uniqueOrderNumber('AS')
  const order = { orderNumber, customer: { name: 'Guangzhou Telecom Works' } }
  const key = await start(orderNumber, {
    order,
    serviceCase: {
      caseNumber: `AS-${orderNumber}`, orderNumber, kind: 'damage', carrierClaim: true, customer: order.customer,
      carrier: 'SF Express', trackingNumber: 'SF1234567890', description: 'Cabinet door dented',
    },
  })

  // The record form is prefilled from serviceCase (D2 三.3(3)): the task's input mapping.
  const recordTask = await waitUserTask(key, 'RECORD_SERVICE_REQUEST')
  const prefilled = fromEngineVariables(await rest.get<EngineVariables>(`/task/${recordTask.key}/variables?deserializeValues=false`)).serviceRequest
  assert.equal(prefilled, { orderNumber, customer: 'Guangzhou Telecom Works', problemDescription: 'Cabinet door dented', requestedService: 'transport-damage' })

  await complete(key, 'RECORD_SERVICE_REQUEST', serviceRequest(orderNumber, 'transport-damage'))
  await complete(key, 'CONTACT_CUSTOMER', contact('required'))
  await complete(key, 'ONSITE_SERVICE', {
    onsiteService: { performedOn: '2026-11-25T10:00', engineer: 'Wang Lei', work: 'repair', result: 'Door replaced', customerSignedOff: true },
  })
  await complete(key, 'RESOLVE_CASE', resolution('carrier-claim'))
  await complete(key, 'CUSTOMER_CONFIRMATION', confirmation('confirmed'))
  const analysis = await complete(key, 'COMPLAINT_ANALYSIS', {
    complaintAnalysis: { causeCategory: 'transport', rootCause: 'Pallet not strapped', correctiveAction: 'Strap pallets', completedOn: '2026-11-26T10:00' },
  })
  assert.equal(analysis.candidateGroup, ['quality'])
  const claim = await complete(key, 'CARRIER_CLAIM', {
    claim: { carrier: 'SF Express', trackingNumber: 'SF1234567890', amountClaimed: 1200, filedOn: '2026-11-26T11:00', outcome: 'settled', amountSettled: 1000 },
  })
  assert.equal(claim.candidateGroup, ['logistics-clerk'])

  const path = await closedPath(key)
  for (const id of ['RECORD_SERVICE_REQUEST', 'CONTACT_CUSTOMER', 'ONSITE_SERVICE', 'RESOLVE_CASE', 'CUSTOMER_CONFIRMATION', 'COMPLAINT_ANALYSIS', 'CARRIER_CLAIM', 'CASE_CLOSED']) {
    assert.ok(path.includes(id), `visited ${id}`)
  }
})

test.run()
