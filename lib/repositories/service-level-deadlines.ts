/** The register of step deadlines (`service_level_deadlines`): written by sla-deadline, read and closed by escalation-notify. */
import type { Knex } from 'knex'

export interface ServiceLevelDeadline {
  sla_id: string
  clause: string
  order_number: string | null
  process_instance_key: string
  element_id: string
  element_instance_key: string
  limit: string | null
  urgent: boolean
  started_at: Date | string
  due_at: Date | string
  follow_up_at: Date | string
  escalate_to: string
}

export interface ServiceLevelDeadlineRow extends ServiceLevelDeadline {
  id: number
  started_at: Date
  due_at: Date
  follow_up_at: Date
  breached_at: Date | null
  created_at: Date
}

export function createServiceLevelDeadlineRepository(db: Knex) {
  return {
    /**
     * Records the deadline of one level for one element instance; a redelivered listener job gets
     * the row its first delivery wrote (same due date), so the timer and the register agree.
     */
    async record(deadline: ServiceLevelDeadline, trx: Knex = db): Promise<ServiceLevelDeadlineRow> {
      const [inserted] = await trx('service_level_deadlines').insert(deadline).onConflict(['element_instance_key', 'sla_id']).ignore().returning('*')
      if (inserted) return inserted
      return trx('service_level_deadlines').where({ element_instance_key: deadline.element_instance_key, sla_id: deadline.sla_id }).first()
    },
    /** The latest deadline of a level in an instance (a loop sets a new one each pass). */
    async latest(processInstanceKey: string, slaId: string, trx: Knex = db): Promise<ServiceLevelDeadlineRow | undefined> {
      return trx('service_level_deadlines').where({ process_instance_key: processInstanceKey, sla_id: slaId }).orderBy('id', 'desc').first()
    },
    /** Marks a deadline missed (the first escalation's time stays). */
    async markBreached(id: number, at: Date, trx: Knex = db): Promise<void> {
      await trx('service_level_deadlines').where({ id }).whereNull('breached_at').update({ breached_at: at })
    },
  }
}

export type ServiceLevelDeadlineRepository = ReturnType<typeof createServiceLevelDeadlineRepository>
