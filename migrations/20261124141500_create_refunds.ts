import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw('create sequence refunds_number_seq')
  await knex.schema.createTable('refunds', (t) => {
    t.comment('Refunds through the payment provider by payment-refund, exactly once per return or cancellation (D3 6, D9 1.1).')
    t.text('refund_number').primary()
      .defaultTo(knex.raw(`'RF-' || to_char(now(), 'YYYY') || '-' || lpad(nextval('refunds_number_seq')::text, 6, '0')`))
      .comment('Refund number, e.g. RF-2026-000001.')
    t.text('order_number').notNullable().references('orders.order_number').comment('The order refunded.')
    t.text('return_number').references('returns.return_number').comment('The return refunded; null for a cancelled order.')
    t.decimal('amount', 12, 2).notNullable().comment('Amount refunded.')
    t.text('currency').notNullable().defaultTo('CNY').comment('ISO 4217 currency.')
    t.text('status').notNullable().defaultTo('requested').comment('requested (sent to the provider), succeeded, or declined (REFUND_DECLINED).')
    t.text('provider_reference').comment('The payment provider\'s refund id.')
    t.text('failure_reason').comment('Why the provider declined.')
    t.text('idempotency_key').notNullable().unique({ indexName: 'refunds_idempotency_key_unique' })
      .comment('return:<return number> or cancellation:<order number>; also the provider\'s Idempotency-Key, so a refund happens once whatever the retries.')
    t.timestamp('requested_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When it was sent to the provider.')
    t.timestamp('completed_at', { useTz: true }).comment('When the provider answered succeeded or declined; due within 1-2 working days (D9 1.1).')
    t.index(['order_number'], 'refunds_order_number_index')
  })
  await knex.raw('alter sequence refunds_number_seq owned by refunds.refund_number')
  await knex.raw(`alter table refunds add constraint refunds_status_check check (status in ('requested', 'succeeded', 'declined'))`)
  await knex.raw(`alter table refunds add constraint refunds_amount_check check (amount > 0)`)
  await knex.raw(`alter table refunds add constraint refunds_currency_check check (currency ~ '^[A-Z]{3}$')`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('refunds')
}
