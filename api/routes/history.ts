/** GET /orders/:orderNumber/history — the auditor's timeline, as JSON or CSV. */
import type { FastifyInstance, FastifyReply } from 'fastify'
import { historyCsv, orderHistory, type OrderHistory } from '../history.ts'
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
    const accept = request.headers.accept
    const csv = format === 'csv' || (!format && Boolean(accept?.includes('text/csv')) && !accept?.includes('application/json'))
    return sendHistory(deps, reply, orderNumber, csv ? 'csv' : 'json')
  })
}

/**
 * Answers the order's timeline as JSON or as a CSV download; the API's history route and the
 * auditor's view both answer through here, so both give the same document.
 */
export async function sendHistory(deps: ApiDeps, reply: FastifyReply, orderNumber: string, format: 'json' | 'csv'): Promise<OrderHistory | string> {
  const order = await deps.db('orders').where({ order_number: orderNumber }).first('order_number', 'process_instance_key')
  if (!order) throw notFound('order', orderNumber)
  const timeline = await orderHistory(deps, order).catch((error: Error) => {
    throw new ApiProblem(503, 'engine-unavailable', 'The engine history is not reachable', error.message)
  })
  if (format === 'csv') {
    reply.header('content-type', 'text/csv; charset=utf-8')
    reply.header('content-disposition', `attachment; filename="${orderNumber}-history.csv"`)
    reply.serializer((payload: unknown) => payload as string)
    return historyCsv(timeline)
  }
  return timeline
}
