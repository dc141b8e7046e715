/**
 * customer-notify — tells the customer what happened (carrier and tracking number, refund, decline, ...) through the notification webhook (D2 三.3(1), D3 6, D3 8).
 *
 * Not implemented yet: every job fails and, after its retries, raises an incident saying so.
 * The workers issue replaces this module with the real handler and its variable schema.
 */
import { notImplemented } from '../lib/worker.ts'

export const taskType = 'customer-notify'
export const implemented = false
export const variablesSchema = { type: 'object', properties: {} } as const
export const errorCodes = [] as const
export const createHandler = notImplemented(taskType)
