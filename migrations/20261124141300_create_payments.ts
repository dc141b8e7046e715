import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('payments', (t) => {
    t.comment('Payments received, one per payment-received message (D4 一.3, D10 25B-26B).')
    t.bigIncrements('id').comment('Order of writing.')
    t.text('order_number').notNullable().references('orders.order_number').comment('The order paid for.')
    t.text('kind').notNullable().comment('deposit, balance, or full (shop orders and one-off payments).')
    t.decimal('amount', 12, 2).notNullable().comment('Amount received.')
    t.text('currency').notNullable().defaultTo('CNY').comment('ISO 4217 currency.')
    t.text('reference').comment('Bank or payment-provider reference.')
    t.timestamp('received_at', { useTz: true }).notNullable().comment('When the money arrived.')
    t.text('message_id').notNullable().unique({ indexName: 'payments_message_id_unique' })
      .comment('messageId of the payment-received message: a resent message records no second payment.')
    t.index(['order_number'], 'payments_order_number_index')
  })
  await knex.raw(`alter table payments add constraint payments_kind_check check (kind in ('deposit', 'balance', 'full'))`)
  await knex.raw(`alter table payments add constraint payments_amount_check check (amount > 0)`)
  await knex.raw(`alter table payments add constraint payments_currency_check check (currency ~ '^[A-Z]{3}$')`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('payments')
}
