/**
 * qc-verdict — turns an inspection record into pass, rework or reject by the qc-sampling decision (D2 二.二.5, D10 9H, 20G).
 *
 * Not implemented yet: every job fails and, after its retries, raises an incident saying so.
 * The workers issue replaces this module with the real handler and its variable schema.
 */
import { notImplemented } from '../lib/worker.ts'

export const taskType = 'qc-verdict'
export const implemented = false
export const variablesSchema = { type: 'object', properties: {} } as const
export const errorCodes = [] as const
export const createHandler = notImplemented(taskType)
