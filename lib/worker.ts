/**
 * The contract every module in `workers/` follows: its job type, the JSON schema of the
 * variables it reads, the BPMN error codes it may throw, and a handler factory that receives
 * its repositories and clients. The handler returns an `Outcome`, so a forgotten outcome is a
 * compile error; a technical fault is thrown, and the runtime turns it into a failed job with
 * retries and back-off (an incident at zero retries).
 */
import type { Knex } from 'knex'
import type { OutsideServices } from './clients/outside-services.ts'
import type { Config } from './config.ts'
import type { Repositories } from './repositories/index.ts'

/** What a handler sees of a job. */
export interface JobContext<Variables> {
  key: string
  type: string
  processInstanceKey: string
  bpmnProcessId: string
  elementId: string
  elementInstanceKey: string
  retries: number
  customHeaders: Record<string, string>
  variables: Variables
}

/** The two ways a handler ends a job it understood. */
export type Outcome<ErrorCode extends string = never> =
  | { kind: 'complete'; variables: Record<string, unknown> }
  | { kind: 'bpmn-error'; code: ErrorCode; message: string; variables?: Record<string, unknown> }

export const complete = (variables: Record<string, unknown> = {}): Outcome<never> => ({ kind: 'complete', variables })

export const bpmnError = <Code extends string>(
  code: Code,
  message: string,
  variables?: Record<string, unknown>,
): Outcome<Code> => ({ kind: 'bpmn-error', code, message, variables })

/**
 * Everything a handler factory may ask for; each worker takes the part it needs: the connection
 * and every repository (orders, events, stock, shipments, refunds, ... see repositories/index.ts).
 */
export interface WorkerDeps extends Repositories {
  db: Knex
  /** The settings of lib/config.ts, for the few a worker reads itself (e.g. RETURNS_ADDRESS). */
  config: Config
  /** Carrier, payment provider and customer notifications (sandboxed unless configured live). */
  outside: OutsideServices
}

export type Handler<Variables, ErrorCode extends string> = (job: JobContext<Variables>) => Promise<Outcome<ErrorCode>>

/** The shape of a module in `workers/`. */
export interface WorkerModule<Variables = unknown, ErrorCode extends string = string> {
  taskType: string
  variablesSchema: Record<string, unknown> & { properties: Record<string, unknown> }
  errorCodes: readonly ErrorCode[]
  createHandler: (deps: WorkerDeps) => Handler<Variables, ErrorCode>
}

/** The history-row key of a job: one row per job, whatever the redeliveries. */
export function stepKey(job: JobContext<unknown>, orderNumber: string, clause: string | null = null) {
  return {
    order_number: orderNumber,
    process_instance_key: job.processInstanceKey,
    element_id: job.elementId,
    element_instance_key: job.elementInstanceKey,
    job_key: job.key,
    step: job.type,
    actor: `worker:${job.type}`,
    clause,
  }
}

/**
 * Handler factory of a worker whose behaviour is not built yet: every job fails, and after its
 * retries raises an incident that says so. Such modules export `implemented = false`, and the
 * model consistency test lists them.
 */
export function notImplemented(taskType: string) {
  return (_deps: WorkerDeps): Handler<unknown, never> =>
    async () => {
      throw new Error(`${taskType} is not implemented yet (see the workers issue)`)
    }
}
