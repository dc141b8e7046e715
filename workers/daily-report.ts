/**
 * daily-report — compiles the production daily report (D10 15G) or the coordination meeting agenda of late orders, open escalations and SLA breaches (D10 15D), by reportKind.
 *
 * Not implemented yet: every job fails and, after its retries, raises an incident saying so.
 * The workers issue replaces this module with the real handler and its variable schema.
 */
import { notImplemented } from '../lib/worker.ts'

export const taskType = 'daily-report'
export const implemented = false
export const variablesSchema = { type: 'object', properties: {} } as const
export const errorCodes = [] as const
export const createHandler = notImplemented(taskType)
