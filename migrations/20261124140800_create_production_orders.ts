import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw('create sequence production_orders_number_seq')
  await knex.schema.createTable('production_orders', (t) => {
    t.comment('Production instructions (生产指令单) entered by production-instruct (D2 一.五.1, D10 3B).')
    t.text('production_order_number').primary()
      .defaultTo(knex.raw(`'MO-' || to_char(now(), 'YYYY') || '-' || lpad(nextval('production_orders_number_seq')::text, 6, '0')`))
      .comment('Production instruction number, e.g. MO-2026-000001.')
    t.text('order_number').notNullable().references('orders.order_number').comment('The order produced for.')
    t.text('status').notNullable().defaultTo('instructed').comment('instructed, completed, or withdrawn (order cancelled, reservation-release).')
    t.jsonb('lines').notNullable().defaultTo('[]').comment('What to make: sku, model, quantity, committed date.')
    t.timestamp('instructed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When the instruction was entered.')
    t.text('job_key').notNullable().unique({ indexName: 'production_orders_job_key_unique' })
      .comment('production-instruct job that entered it: a redelivered job finds this row.')
    t.index(['order_number'], 'production_orders_order_number_index')
  })
  await knex.raw('alter sequence production_orders_number_seq owned by production_orders.production_order_number')
  await knex.raw(
    `alter table production_orders add constraint production_orders_status_check check (status in ('instructed', 'completed', 'withdrawn'))`,
  )
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('production_orders')
}
