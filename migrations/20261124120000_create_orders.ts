import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('orders', (t) => {
    t.comment('One row per order, contract or shop; the order number is the process business key.')
    t.text('order_number').primary().comment('Business key, e.g. CO-2026-000123; correlation key of every message.')
    t.text('channel').notNullable().comment('contract (B2B, D1/D2/D10) or shop (online, D3-D9).')
    t.text('customer_name').comment('Customer as written on the order.')
    t.text('priority').notNullable().defaultTo('normal').comment('normal or urgent (D7).')
    t.text('status').notNullable().comment('Where the order stands: received, incomplete, validated, classified, ...')
    t.text('classification').comment('regular or non-regular (D1 第5条 1, D2 释义), once decided.')
    t.jsonb('data').notNullable().comment('The order as last submitted or corrected: customer, lines, dates, sign-off.')
    t.text('process_instance_key').comment('Engine process instance that handles the order.')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('First seen.')
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('Last changed.')
  })
  await knex.raw(`alter table orders add constraint orders_channel_check check (channel in ('contract', 'shop'))`)
  await knex.raw(`alter table orders add constraint orders_priority_check check (priority in ('normal', 'urgent'))`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('orders')
}
