import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw('create sequence purchase_requests_number_seq')
  await knex.schema.createTable('purchase_requests', (t) => {
    t.comment('Requests to cover a stock shortage: group transfer first, else purchase (D2 二.一.3, D10 7E/10E).')
    t.text('request_number').primary()
      .defaultTo(knex.raw(`'PR-' || to_char(now(), 'YYYY') || '-' || lpad(nextval('purchase_requests_number_seq')::text, 6, '0')`))
      .comment('Purchase request number, e.g. PR-2026-000001; correlation key of goods-received.')
    t.text('order_number').notNullable().references('orders.order_number').comment('The order short of stock.')
    t.text('sku').notNullable().references('products.sku').comment('The product short.')
    t.integer('quantity').notNullable().comment('Units requested.')
    t.text('source').notNullable().comment('group-transfer (from a group company) or purchase (supplier or approved outsourcing).')
    t.text('supplier').comment('Supplier or group company asked.')
    t.date('planned_arrival').comment('Planned arrival; the supplier is contacted 5 working days before (D2 二.二.4(1)).')
    t.text('status').notNullable().defaultTo('requested')
      .comment('requested, received (goods-received), returned (lot rejected, D10 17E), or withdrawn (order cancelled).')
    t.text('job_key').notNullable().comment('procurement-request job that raised it.')
    t.integer('shortage_index').notNullable().comment('Position of the shortage in that job\'s list: one job raises one request per short SKU.')
    t.timestamp('requested_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When it was raised.')
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('Last status change.')
    t.unique(['job_key', 'shortage_index'], { indexName: 'purchase_requests_job_key_shortage_index_unique' })
    t.index(['order_number'], 'purchase_requests_order_number_index')
  })
  await knex.raw('alter sequence purchase_requests_number_seq owned by purchase_requests.request_number')
  await knex.raw(`alter table purchase_requests add constraint purchase_requests_quantity_check check (quantity > 0)`)
  await knex.raw(`alter table purchase_requests add constraint purchase_requests_shortage_index_check check (shortage_index >= 0)`)
  await knex.raw(
    `alter table purchase_requests add constraint purchase_requests_source_check check (source in ('group-transfer', 'purchase'))`,
  )
  await knex.raw(`
    alter table purchase_requests add constraint purchase_requests_status_check
    check (status in ('requested', 'received', 'returned', 'withdrawn'))`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('purchase_requests')
}
