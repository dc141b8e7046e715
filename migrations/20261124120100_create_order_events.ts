import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('order_events', (t) => {
    t.comment('Append-only history: one row per step done on an order, written with the change it records.')
    t.bigIncrements('id').comment('Order of writing.')
    t.text('order_number').notNullable().references('orders.order_number').comment('The order.')
    t.text('process_instance_key').comment('Engine process instance the step ran in.')
    t.text('element_id').comment('BPMN element id of the step.')
    t.text('element_instance_key').comment('Engine element instance of the step.')
    t.text('job_key').comment('Engine job key for automated steps; a redelivered job finds its row by it.')
    t.text('step').notNullable().comment('Step name: the job type, user task or event, as in the diagram.')
    t.text('actor').notNullable().comment('Who did it: a worker (worker:<job type>), a user name, or the API caller.')
    t.text('outcome').notNullable().comment('What came of it, e.g. complete, incomplete, regular, rejected.')
    t.text('clause').comment('Procedure clause the step implements, e.g. D1 第4条 2.')
    t.jsonb('details').notNullable().defaultTo('{}').comment('The step result as handed back to the engine, and any detail.')
    t.timestamp('occurred_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When it was recorded.')
    t.unique(['step', 'job_key'], { indexName: 'order_events_step_job_key_unique' })
    t.index(['order_number', 'id'], 'order_events_order_number_index')
  })
  await knex.raw(`
    create function order_events_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'order_events is append-only: % is not allowed', tg_op;
    end $$`)
  await knex.raw(`
    create trigger order_events_append_only before update or delete on order_events
    for each row execute function order_events_append_only()`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('order_events')
  await knex.raw('drop function order_events_append_only()')
}
