import type { Knex } from 'knex'

/**
 * One documented set of order statuses (README "Order statuses", lib/order-status.ts), enforced by
 * a CHECK constraint, and the review outcome beside the classification. Rows written before carry
 * only the statuses the workers wrote then (all in the set); any other value is mapped from what
 * the order's shipments say (delivered, shipped) or else back to received. The down drops the
 * constraint and the column; mapped statuses stay as they are (they are valid old values too).
 */
const statuses = [
  'received', 'incomplete', 'validated', 'quoted', 'production-instructed', 'stock-short', 'stock-reserved',
  'shipped', 'delivered', 'invoiced', 'completed', 'returned', 'partially-refunded', 'refunded', 'closed', 'declined', 'cancelled',
]
const list = statuses.map((s) => `'${s}'`).join(', ')

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    update orders o set status = case
      when exists (select 1 from shipments s where s.order_number = o.order_number and s.status = 'delivered') then 'delivered'
      when exists (select 1 from shipments s where s.order_number = o.order_number and s.status = 'dispatched') then 'shipped'
      else 'received' end,
      updated_at = now()
    where o.status not in (${list})`)
  await knex.raw(`alter table orders add constraint orders_status_check check (status in (${list}))`)
  await knex.schema.alterTable('orders', (t) => {
    t.text('status').comment('Where the order stands, one of the statuses of README "Order statuses"; written by the step that causes the change, never backwards.').alter({ alterType: false, alterNullable: false })
    t.text('review_outcome').comment('accepted (the review let the order go on to its quote) or declined (D2 一.二, the general manager approved declining it).')
  })
  await knex.raw(`alter table orders add constraint orders_review_outcome_check check (review_outcome in ('accepted', 'declined'))`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table orders drop constraint orders_review_outcome_check')
  await knex.schema.alterTable('orders', (t) => {
    t.dropColumn('review_outcome')
    t.text('status').comment('Where the order stands: received, incomplete, validated, classified, ...').alter({ alterType: false, alterNullable: false })
  })
  await knex.raw('alter table orders drop constraint orders_status_check')
}
