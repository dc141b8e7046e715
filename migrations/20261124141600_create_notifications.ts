import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notifications', (t) => {
    t.comment('Outbox of messages to customers and staff: written with the change that causes them, sent afterwards.')
    t.bigIncrements('id').comment('Order of writing, and of sending.')
    t.text('order_number').references('orders.order_number').comment('The order it is about; null for reports and escalations not tied to one.')
    t.text('recipient').notNullable().comment('Webhook URL, e-mail address, or a role such as group:quality.')
    t.text('channel').notNullable().comment('webhook or email.')
    t.text('template').notNullable().comment('Message template, e.g. shipment-booked, refund-made.')
    t.jsonb('payload').notNullable().defaultTo('{}').comment('Values the template is filled with.')
    t.text('idempotency_key').notNullable().unique({ indexName: 'notifications_idempotency_key_unique' })
      .comment('<job type>:<job key> or another stable key: a redelivered job queues no second message.')
    t.text('status').notNullable().defaultTo('pending').comment('pending (to send), sent, or failed (gave up after the attempts).')
    t.integer('attempts').notNullable().defaultTo(0).comment('Send attempts so far.')
    t.text('last_error').comment('Error of the last failed attempt.')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When it was queued.')
    t.timestamp('sent_at', { useTz: true }).comment('When it was delivered.')
    t.index(['order_number'], 'notifications_order_number_index')
  })
  await knex.raw(`create index notifications_pending_index on notifications (id) where status = 'pending'`)
  await knex.raw(`alter table notifications add constraint notifications_channel_check check (channel in ('webhook', 'email'))`)
  await knex.raw(`alter table notifications add constraint notifications_status_check check (status in ('pending', 'sent', 'failed'))`)
  await knex.raw(`alter table notifications add constraint notifications_attempts_check check (attempts >= 0)`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('notifications')
}
