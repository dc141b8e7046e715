import type { Knex } from 'knex'

/**
 * Indexes for the auditor view's queries over many orders: the order list (newest first, by
 * channel and status), the "missed a deadline" filter and breach counts per order, and the
 * deadlines page (breaches of a period).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('orders', (t) => {
    t.index(['created_at', 'order_number'], 'orders_created_at_index')
    t.index(['status'], 'orders_status_index')
  })
  await knex.schema.alterTable('service_level_deadlines', (t) => {
    t.index(['order_number'], 'service_level_deadlines_order_number_index')
    t.index(['breached_at'], 'service_level_deadlines_breached_at_index')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('service_level_deadlines', (t) => {
    t.dropIndex(['breached_at'], 'service_level_deadlines_breached_at_index')
    t.dropIndex(['order_number'], 'service_level_deadlines_order_number_index')
  })
  await knex.schema.alterTable('orders', (t) => {
    t.dropIndex(['status'], 'orders_status_index')
    t.dropIndex(['created_at', 'order_number'], 'orders_created_at_index')
  })
}
