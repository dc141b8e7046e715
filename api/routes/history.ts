/** GET /orders/:orderNumber/history — the auditor's timeline, as JSON or CSV. */
import type { FastifyInstance } from 'fastify'
import { historyCsv, orderHistory } from '../history.ts'
import { ApiProblem, notFound, problems } from '../problems.ts'
import { history, orderNumberParams } from '../schemas.ts'
import type { ApiDeps } from '../server.ts'

export function historyRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/orders/:orderNumber/history', {
    config: { roles: ['auditor'] },
    schema: {
      tags: ['audit'],
      summary: "An order's full history",
      description: 'One timeline of the order_events rows and the engine history (element instances, user-task completions with user, time and form data, incidents, SLA breaches), each step with the procedure clause its BPMN element cites. CSV with ?format=csv or Accept: text/csv.',
      params: orderNumberParams,
      querystring: { type: 'object', additionalProperties: false, properties: { format: { enum: ['json', 'csv'] } } },
      response: {
        200: {
          description: 'The timeline; as text/csv the same items, one row each (columns as the item fields, details as JSON).',
          content: { 'application/json': { schema: history }, 'text/csv': { schema: { type: 'string' } } },
        },
        ...problems(400, 401, 403, 404, 503),
      },
    },
  }, async (request, reply) => {
    const { orderNumber } = request.params as { orderNumber: string }
    const { format } = request.query as { format?: 'json' | 'csv' }
    const order = await deps.db('orders').where({ order_number: orderNumber }).first('order_number', 'process_instance_key')
    if (!order) throw notFound('order', orderNumber)
    const timeline = await orderHistory(deps, order).catch((error: Error) => {
      throw new ApiProblem(503, 'engine-unavailable', 'The engine history is not reachable', error.message)
    })
    const csv = format === 'csv' || (!format && reply.request.headers.accept?.includes('text/csv') && !reply.request.headers.accept.includes('application/json'))
    if (csv) {
      reply.header('content-type', 'text/csv; charset=utf-8')
      reply.header('content-disposition', `attachment; filename="${orderNumber}-history.csv"`)
      reply.serializer((payload: unknown) => payload as string)
      return historyCsv(timeline)
    }
    return timeline
  })
}
