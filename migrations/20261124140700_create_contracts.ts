import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw('create sequence contracts_number_seq')
  await knex.schema.createTable('contracts', (t) => {
    t.comment('The sales contract of a contract order: drafted, signed, effective (D2 一.四, D10 2B-3B).')
    t.text('contract_number').primary()
      .defaultTo(knex.raw(`'CT-' || to_char(now(), 'YYYY') || '-' || lpad(nextval('contracts_number_seq')::text, 6, '0')`))
      .comment('Contract number, e.g. CT-2026-000001; correlation key of contract-signed.')
    t.text('order_number').notNullable().unique({ indexName: 'contracts_order_number_unique' }).references('orders.order_number')
      .comment('The order; one contract per order.')
    t.decimal('amount', 12, 2).notNullable().comment('Contract amount.')
    t.text('currency').notNullable().defaultTo('CNY').comment('ISO 4217 currency.')
    t.text('payment_terms').comment('Agreed payment terms as written in the contract.')
    t.timestamp('drafted_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When the draft was made.')
    t.timestamp('signed_at', { useTz: true }).comment('When both parties had signed.')
    t.timestamp('effective_at', { useTz: true }).comment('When it took effect (deposit received or signature); starts the 4 h production instruction SLA.')
  })
  await knex.raw('alter sequence contracts_number_seq owned by contracts.contract_number')
  await knex.raw(`alter table contracts add constraint contracts_amount_check check (amount >= 0)`)
  await knex.raw(`alter table contracts add constraint contracts_currency_check check (currency ~ '^[A-Z]{3}$')`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('contracts')
}
