import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  // Numbers come from a sequence owned by the column, so dropping the table drops it too.
  await knex.raw('create sequence quotes_number_seq')
  await knex.schema.createTable('quotes', (t) => {
    t.comment('Quotes made by quote-calculate: price list for regular orders, surcharge for special modifications (D2 一.三).')
    t.text('quote_number').primary()
      .defaultTo(knex.raw(`'QT-' || to_char(now(), 'YYYY') || '-' || lpad(nextval('quotes_number_seq')::text, 6, '0')`))
      .comment('Quote number, e.g. QT-2026-000001.')
    t.text('order_number').notNullable().references('orders.order_number').comment('The order quoted.')
    t.text('basis').notNullable().comment('price-list (regular order) or special-modification (non-regular, with surcharge).')
    t.decimal('amount', 12, 2).notNullable().comment('Total of the quote.')
    t.text('currency').notNullable().defaultTo('CNY').comment('ISO 4217 currency; the company quotes in CNY.')
    t.jsonb('lines').notNullable().defaultTo('[]').comment('Priced lines: sku, quantity, unit price, surcharge, line total.')
    t.text('job_key').notNullable().unique({ indexName: 'quotes_job_key_unique' })
      .comment('quote-calculate job that made it: a redelivered job finds this quote.')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When it was made.')
    t.index(['order_number'], 'quotes_order_number_index')
  })
  await knex.raw('alter sequence quotes_number_seq owned by quotes.quote_number')
  await knex.raw(`alter table quotes add constraint quotes_basis_check check (basis in ('price-list', 'special-modification'))`)
  await knex.raw(`alter table quotes add constraint quotes_amount_check check (amount >= 0)`)
  await knex.raw(`alter table quotes add constraint quotes_currency_check check (currency ~ '^[A-Z]{3}$')`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('quotes')
}
