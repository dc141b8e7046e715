/**
 * escalation-notify — notifies the next level up when a service level is breached, and records the breach (service-level table).
 *
 * Not implemented yet: every job fails and, after its retries, raises an incident saying so.
 * The workers issue replaces this module with the real handler and its variable schema.
 */
import { notImplemented } from '../lib/worker.ts'

export const taskType = 'escalation-notify'
export const implemented = false
export const variablesSchema = { type: 'object', properties: {} } as const
export const errorCodes = [] as const
export const createHandler = notImplemented(taskType)
