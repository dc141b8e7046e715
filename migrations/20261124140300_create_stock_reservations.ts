import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('stock_reservations', (t) => {
    t.comment('Stock held for an order by inventory-check; released on cancellation (reservation-release), consumed on shipment.')
    t.bigIncrements('id').comment('Order of writing.')
    t.text('order_number').notNullable().references('orders.order_number').comment('The order the stock is held for.')
    t.text('sku').notNullable().references('products.sku').comment('The product held.')
    t.integer('quantity').notNullable().comment('Units held.')
    t.text('status').notNullable().defaultTo('reserved').comment('reserved (held), released (given back) or consumed (shipped).')
    t.text('job_key').comment('inventory-check job that made the reservation, for tracing.')
    t.timestamp('reserved_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When it was made.')
    t.timestamp('closed_at', { useTz: true }).comment('When it was released or consumed.')
  })
  await knex.raw(`alter table stock_reservations add constraint stock_reservations_quantity_check check (quantity > 0)`)
  await knex.raw(
    `alter table stock_reservations add constraint stock_reservations_status_check check (status in ('reserved', 'released', 'consumed'))`,
  )
  // One active reservation per order and SKU, not one per job: a re-check of the same order
  // (the customer chose to wait, the order was corrected) is a new job and must find the stock
  // it already holds instead of holding it twice. Released and consumed rows stay as history.
  await knex.raw(`
    create unique index stock_reservations_active_unique on stock_reservations (order_number, sku)
    where status = 'reserved'`)
  await knex.raw(`create index stock_reservations_sku_index on stock_reservations (sku) where status = 'reserved'`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('stock_reservations')
}
