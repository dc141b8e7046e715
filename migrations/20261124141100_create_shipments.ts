import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw('create sequence shipments_number_seq')
  await knex.schema.createTable('shipments', (t) => {
    t.comment('Carrier bookings by shipping-book and what became of them (D2 三.2-3.3, D3 6, D5 三).')
    t.text('shipment_number').primary()
      .defaultTo(knex.raw(`'SH-' || to_char(now(), 'YYYY') || '-' || lpad(nextval('shipments_number_seq')::text, 6, '0')`))
      .comment('Shipment number, e.g. SH-2026-000001.')
    t.text('order_number').notNullable().references('orders.order_number').comment('The order shipped.')
    t.text('carrier').notNullable().comment('Carrier booked.')
    t.text('tracking_number').comment('Carrier tracking number, told to the customer the same day (D2 三.3(1)).')
    t.text('status').notNullable().defaultTo('booked').comment('booked, dispatched, delivered, damaged or refused.')
    t.text('shipping_method').comment('road, rail, sea, air, express or customer-pickup.')
    t.jsonb('delivery_address').comment('Where it goes.')
    t.timestamp('booked_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When the carrier accepted the booking.')
    t.date('expected_delivery_date').comment('Carrier\'s expected delivery; not confirmed by then → delivery inquiry (D2 三.3(2)).')
    t.timestamp('dispatched_at', { useTz: true }).comment('When the goods left.')
    t.timestamp('delivered_at', { useTz: true }).comment('When the customer signed for them (D10 23B).')
    t.text('damage_description').comment('What was damaged or why it was refused (D2 三.3(3)).')
    t.text('idempotency_key').notNullable().unique({ indexName: 'shipments_idempotency_key_unique' })
      .comment('Idempotency-Key sent to the carrier API (shipping-book:<element instance key>): a redelivered job finds this booking.')
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('Last status change.')
    t.index(['order_number'], 'shipments_order_number_index')
  })
  await knex.raw('alter sequence shipments_number_seq owned by shipments.shipment_number')
  await knex.raw(`
    alter table shipments add constraint shipments_status_check
    check (status in ('booked', 'dispatched', 'delivered', 'damaged', 'refused'))`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('shipments')
}
