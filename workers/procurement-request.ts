/**
 * procurement-request — asks for a group transfer of the shortage, else raises a purchase (or approved outsourcing) order, and returns the purchase request number the goods-received message correlates on (D2 二.一.3, D10 7E/10E).
 *
 * Not implemented yet: every job fails and, after its retries, raises an incident saying so.
 * The workers issue replaces this module with the real handler and its variable schema.
 */
import { notImplemented } from '../lib/worker.ts'

export const taskType = 'procurement-request'
export const implemented = false
export const variablesSchema = { type: 'object', properties: {} } as const
export const errorCodes = [] as const
export const createHandler = notImplemented(taskType)
