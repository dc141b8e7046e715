import type { Knex } from 'knex'

/**
 * The engine ids in the order database now come from Operaton: process instance ids, activity
 * instance ids (the stable key of a step) and external task ids. Only the column comments change.
 */
const comments: [table: string, column: string, now: string, before: string][] = [
  ['service_level_deadlines', 'process_instance_key', 'Engine process instance id.', 'Zeebe process instance.'],
  ['daily_reports', 'process_instance_key', 'Engine process instance id.', 'Zeebe process instance.'],
  ['order_events', 'element_instance_key', 'Engine activity instance id of the step (the stable key of one step, whatever the redeliveries).', 'Engine element instance of the step.'],
  ['order_events', 'job_key', 'Engine external task id for automated steps; a redelivered task finds its row by the step key.', 'Engine job key for automated steps; a redelivered job finds its row by it.'],
  ['order_events', 'step', 'Step name: the external-task topic, user task or event, as in the diagram.', 'Step name: the job type, user task or event, as in the diagram.'],
  ['order_events', 'actor', 'Who did it: a worker (worker:<topic>), a user name, or the API caller.', 'Who did it: a worker (worker:<job type>), a user name, or the API caller.'],
]

/** Sets a column's comment only (its type, nullability and default stay as they are). */
async function comment(knex: Knex, table: string, column: string, text: string): Promise<void> {
  await knex.schema.alterTable(table, (t) => {
    t.text(column).comment(text).alter({ alterType: false, alterNullable: false })
  })
}

export async function up(knex: Knex): Promise<void> {
  for (const [table, column, now] of comments) await comment(knex, table, column, now)
}

export async function down(knex: Knex): Promise<void> {
  for (const [table, column, , before] of comments) await comment(knex, table, column, before)
}
