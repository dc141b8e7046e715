import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('service_level_deadlines', (t) => {
    t.comment('Due dates of guarded steps (processes/service-levels.json), set when the step starts; the escalation reads its due date here and marks it breached.')
    t.bigIncrements('id').comment('Order of writing.')
    t.text('sla_id').notNullable().comment('Row id of processes/service-levels.json, e.g. gmApproval.')
    t.text('clause').notNullable().comment('The clause of the procedures, e.g. D10 2C.')
    t.text('order_number').comment('The order, when the process carries one.')
    t.text('process_instance_key').notNullable().comment('Zeebe process instance.')
    t.text('element_id').notNullable().comment('The guarded element, e.g. GM_APPROVAL.')
    t.text('element_instance_key').notNullable().comment('The guarded element instance: one deadline per level and instance, whatever the redeliveries.')
    t.text('limit').comment('The limit applied (after the urgent policy), e.g. PT2H; null for month end.')
    t.boolean('urgent').notNullable().defaultTo(false).comment('Shortened by the urgent policy (D7 4).')
    t.timestamp('started_at', { useTz: true }).notNullable().comment('When the step started (the calendar counted from here).')
    t.timestamp('due_at', { useTz: true }).notNullable().comment('When the timer fires.')
    t.timestamp('follow_up_at', { useTz: true }).notNullable().comment('Tasklist follow-up date.')
    t.text('escalate_to').notNullable().comment('Roles told when it is missed, comma-separated.')
    t.timestamp('breached_at', { useTz: true }).comment('When the escalation ran; null while not missed.')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When it was written.')
    t.unique(['element_instance_key', 'sla_id'], { indexName: 'service_level_deadlines_element_sla_unique' })
    t.index(['process_instance_key', 'sla_id'], 'service_level_deadlines_instance_index')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('service_level_deadlines')
}
