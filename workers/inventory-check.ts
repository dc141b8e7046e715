/**
 * inventory-check — checks and reserves finished-goods stock for the order lines (D10 5D/6D, D4 一.2, D8 二).
 *
 * Not implemented yet: every job fails and, after its retries, raises an incident saying so.
 * The workers issue replaces this module with the real handler and its variable schema.
 */
import { notImplemented } from '../lib/worker.ts'

export const taskType = 'inventory-check'
export const implemented = false
export const variablesSchema = { type: 'object', properties: {} } as const
export const errorCodes = [] as const
export const createHandler = notImplemented(taskType)
