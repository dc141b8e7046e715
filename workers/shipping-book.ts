/**
 * shipping-book — books the carrier through its HTTP API and returns booking {carrier, trackingNumber, bookedOn, expectedDeliveryDate}; CARRIER_REFUSED when the goods cannot go on time (D2 三.2(2), D5 三.1–2).
 *
 * Not implemented yet: every job fails and, after its retries, raises an incident saying so.
 * The workers issue replaces this module with the real handler and its variable schema.
 */
import { notImplemented } from '../lib/worker.ts'

export const taskType = 'shipping-book'
export const implemented = false
export const variablesSchema = { type: 'object', properties: {} } as const
export const errorCodes = [] as const
export const createHandler = notImplemented(taskType)
