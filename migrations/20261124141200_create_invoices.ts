import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw('create sequence invoices_number_seq')
  await knex.schema.createTable('invoices', (t) => {
    t.comment('Invoices issued by invoice-issue for shipped contract orders (D10 24B).')
    t.text('invoice_number').primary()
      .defaultTo(knex.raw(`'IN-' || to_char(now(), 'YYYY') || '-' || lpad(nextval('invoices_number_seq')::text, 6, '0')`))
      .comment('Invoice number, e.g. IN-2026-000001.')
    t.text('order_number').notNullable().references('orders.order_number').comment('The order invoiced.')
    t.decimal('amount', 12, 2).notNullable().comment('Invoiced amount.')
    t.text('currency').notNullable().defaultTo('CNY').comment('ISO 4217 currency.')
    t.timestamp('issued_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When it was issued.')
    t.date('due_date').comment('Payment due; collection starts 5 working days after (D10 26B).')
    t.timestamp('received_by_customer_at', { useTz: true }).comment('When the customer confirmed receipt of the invoice (D10 24B).')
    t.text('job_key').notNullable().unique({ indexName: 'invoices_job_key_unique' })
      .comment('invoice-issue job that issued it: a redelivered job finds this invoice.')
    t.index(['order_number'], 'invoices_order_number_index')
  })
  await knex.raw('alter sequence invoices_number_seq owned by invoices.invoice_number')
  await knex.raw(`alter table invoices add constraint invoices_amount_check check (amount >= 0)`)
  await knex.raw(`alter table invoices add constraint invoices_currency_check check (currency ~ '^[A-Z]{3}$')`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('invoices')
}
