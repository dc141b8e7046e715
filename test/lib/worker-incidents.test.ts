import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { eventually, rest, search, uniqueOrderNumber, withWorkers } from '../helpers.ts'

const { zeebe, db, start } = withWorkers(test)

interface Incident {
  key: number
  jobKey?: number
  errorType: string
  errorMessage: string
  state: string
}

test('invalid process variables become an incident naming the variable, which can be fixed and retried', async () => {
  const orderNumber = uniqueOrderNumber()
  const processInstanceKey = await start('contract-order', { order: { orderNumber: 20261124 } })

  const incident = await eventually('an incident on VALIDATE_ORDER', async () => {
    const page = await rest.post<{ items: Incident[] }>('/v2/incidents/search', {
      filter: { processInstanceKey: Number(processInstanceKey), state: 'ACTIVE' },
    })
    return page.items[0]
  })
  assert.match(incident.errorMessage, 'order-validate: invalid process variables: order.orderNumber must be string')
  assert.match(incident.errorMessage, 'Correct the variables in Operate, then retry the incident.')
  assert.is((await db('order_events').whereRaw("details->'result' is not null").andWhere({ process_instance_key: processInstanceKey })).length, 0)

  await zeebe.setVariables({
    elementInstanceKey: processInstanceKey,
    variables: {
      order: {
        orderNumber,
        customer: { name: 'Foshan Cable Co.' },
        lines: [{ productName: 'Cable tray', model: 'CT-40', quantity: 12 }],
        deliveryDate: '2027-05-01',
        shippingMethod: 'rail',
        salesLeaderSignOff: { name: 'Zhou Min' },
      },
    },
    local: false,
  })
  await zeebe.updateJobRetries({ jobKey: String(incident.jobKey), retries: 1 })
  await zeebe.resolveIncident({ incidentKey: String(incident.key) })

  await eventually('the order validated after the retry', async () => {
    const row = await db('order_events').where({ order_number: orderNumber, step: 'order-validate' }).first()
    return row?.outcome === 'complete'
  })
  await eventually('VALIDATE_ORDER and CLASSIFY_ORDER completed after the retry', async () => {
    const done = (await search.flowNodes(processInstanceKey)).filter((n) => n.state === 'COMPLETED').map((n) => n.flowNodeId)
    return done.includes('VALIDATE_ORDER') && done.includes('CLASSIFY_ORDER')
  })
})

test.run()
