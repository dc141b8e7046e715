/**
 * payment-refund — refunds a payment through the payment provider, exactly once per return or cancellation (D3 6, D9 1.1).
 *
 * Not implemented yet: every job fails and, after its retries, raises an incident saying so.
 * The workers issue replaces this module with the real handler and its variable schema.
 */
import { notImplemented } from '../lib/worker.ts'

export const taskType = 'payment-refund'
export const implemented = false
export const variablesSchema = { type: 'object', properties: {} } as const
export const errorCodes = [] as const
export const createHandler = notImplemented(taskType)
