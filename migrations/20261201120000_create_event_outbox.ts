import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('event_outbox', (t) => {
    t.comment('Events the API accepted into running orders, kept until the engine correlates them: the engine has no message buffer, so an event that arrives before its process waits is held here and correlated by the relay (one row per event and target wait).')
    t.bigIncrements('id').comment('Order of acceptance.')
    t.text('message_id').notNullable().comment('The event id: derived from the caller and its Idempotency-Key, so a retried request never adds a second event.')
    t.text('target').notNullable().defaultTo('*').comment('The process (definition key) whose wait this row is for, e.g. shipment; * = the one instance of the order that waits for the message.')
    t.text('order_number').notNullable().comment('The order the event is for.')
    t.text('message_name').notNullable().comment('BPMN message name, e.g. delivery-confirmed.')
    t.text('business_key').notNullable().comment('Correlation: the business key of the waiting instance (the order number).')
    t.jsonb('correlation_keys').notNullable().defaultTo('{}').comment('Correlation: further process variables the waiting instance must carry, e.g. {"returnNumber": "RT-2026-000001"}.')
    t.jsonb('local_correlation_keys').notNullable().defaultTo('{}').comment('Correlation: variables the waiting execution itself must carry, e.g. {"requestNumber": "PR-..."} for one procurement of several.')
    t.jsonb('variables').notNullable().defaultTo('{}').comment('Process variables the message sets (plain JSON).')
    t.text('state').notNullable().defaultTo('pending').comment('pending (not correlated yet, retried), correlated, or expired (its lifetime ended before a wait opened).')
    t.timestamp('accepted_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When the API accepted the event.')
    t.timestamp('expires_at', { useTz: true }).notNullable().comment('End of the per-message lifetime: a still pending event becomes expired then.')
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When the relay tries again (back-off after a technical failure).')
    t.integer('attempts').notNullable().defaultTo(0).comment('Correlation attempts made.')
    t.text('last_error').comment('Why the last attempt did not correlate (no wait yet, or the engine error).')
    t.timestamp('correlated_at', { useTz: true }).comment('When the engine correlated it.')
    t.text('process_instance_id').comment('The instance it was correlated to.')
    t.unique(['message_id', 'target'], { indexName: 'event_outbox_message_target_unique' })
    t.index(['order_number'], 'event_outbox_order_index')
    t.index(['state', 'next_attempt_at'], 'event_outbox_due_index')
  })
  await knex.raw(`alter table event_outbox add constraint event_outbox_state_check check (state in ('pending', 'correlated', 'expired'))`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('event_outbox')
}
