import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw('create sequence returns_number_seq')
  await knex.schema.createTable('returns', (t) => {
    t.comment('Return requests and their course (D3 退货 1-8, D9 1.2); returns-record completes them for analysis (D3 7).')
    t.text('return_number').primary()
      .defaultTo(knex.raw(`'RT-' || to_char(now(), 'YYYY') || '-' || lpad(nextval('returns_number_seq')::text, 6, '0')`))
      .comment('Return number, e.g. RT-2026-000001; business key of return-refund and correlation key of return-received.')
    t.text('order_number').notNullable().references('orders.order_number').comment('The order returned from.')
    t.text('reason').comment('Reason in the customer\'s words.')
    t.text('reason_kind').comment('Reason class the refund-decision table reads (defective, wrong-item, ...); its values belong to that table.')
    t.jsonb('items').notNullable().defaultTo('[]').comment('Returned items: sku, quantity, unit price; after inspection also quantity received and state.')
    t.text('status').notNullable().defaultTo('requested')
      .comment('requested, info-requested, approved, rejected, received, inspected, refunded, closed.')
    t.jsonb('refund_decision').comment('Output of the refund-decision table: refund (full/partial/none), percentage, who pays return shipping, clause.')
    t.timestamp('requested_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When the request came in.')
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('Last change.')
    t.index(['order_number'], 'returns_order_number_index')
  })
  await knex.raw('alter sequence returns_number_seq owned by returns.return_number')
  await knex.raw(`
    alter table returns add constraint returns_status_check check (status in
      ('requested', 'info-requested', 'approved', 'rejected', 'received', 'inspected', 'refunded', 'closed'))`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('returns')
}
