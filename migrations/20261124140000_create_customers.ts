import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('customers', (t) => {
    t.comment('Customers of both channels: contract customers (D10 1A) and shop buyers.')
    t.text('customer_number').primary().comment('Stable customer key, e.g. CU-0001.')
    t.text('name').notNullable().comment('Company or person name, as written on orders.')
    t.text('channel').notNullable().comment('contract (B2B) or shop (online).')
    t.text('contact_person').comment('Who to call about orders and service requests.')
    t.text('phone').comment('Contact phone.')
    t.text('email').comment('Contact e-mail, used by customer notifications.')
    t.text('address').comment('Default delivery address.')
    t.integer('payment_terms_days').comment('Agreed payment term in days after invoice (D10 25B: over 30 days needs reconciliation).')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('First recorded.')
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('Last changed.')
  })
  await knex.raw(`alter table customers add constraint customers_channel_check check (channel in ('contract', 'shop'))`)
  await knex.raw(`alter table customers add constraint customers_payment_terms_days_check check (payment_terms_days >= 0)`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('customers')
}
