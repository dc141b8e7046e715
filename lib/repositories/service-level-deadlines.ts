/**
 * The register of missed step deadlines (`service_level_deadlines`): the engine's serviceLevels
 * bean computes each guarded step's due instant (process variable `sla.<id>`); when the step's
 * timer fires, escalation-notify records the deadline here as breached, once per guarded
 * activity instance and level.
 */
import type { Knex } from 'knex'

export interface ServiceLevelDeadline {
  sla_id: string
  clause: string
  order_number: string | null
  process_instance_key: string
  element_id: string
  /** The guarded activity instance (`sla.<id>.activityInstanceId`). */
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
     * Records a missed deadline; a redelivered escalation task (unique key element_instance_key +
     * sla_id) gets the row its first delivery wrote, with the first breach time.
     */
    async recordBreach(deadline: ServiceLevelDeadline, breachedAt: Date, trx: Knex = db): Promise<ServiceLevelDeadlineRow> {
      const [inserted] = await trx('service_level_deadlines')
        .insert({ ...deadline, breached_at: breachedAt })
        .onConflict(['element_instance_key', 'sla_id'])
        .ignore()
        .returning('*')
      if (inserted) return inserted
      return trx('service_level_deadlines').where({ element_instance_key: deadline.element_instance_key, sla_id: deadline.sla_id }).first()
    },
    /** The latest deadline of a level in an instance (a loop sets a new one each pass). */
    async latest(processInstanceKey: string, slaId: string, trx: Knex = db): Promise<ServiceLevelDeadlineRow | undefined> {
      return trx('service_level_deadlines').where({ process_instance_key: processInstanceKey, sla_id: slaId }).orderBy('id', 'desc').first()
    },
  }
}

export type ServiceLevelDeadlineRepository = ReturnType<typeof createServiceLevelDeadlineRepository>
