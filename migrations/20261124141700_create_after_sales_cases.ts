import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw('create sequence after_sales_cases_number_seq')
  await knex.schema.createTable('after_sales_cases', (t) => {
    t.comment('Service requests, complaints and transport damage handled by after-sales-case (D2 三.3(3), 四.1; D4 四).')
    t.text('case_number').primary()
      .defaultTo(knex.raw(`'AS-' || to_char(now(), 'YYYY') || '-' || lpad(nextval('after_sales_cases_number_seq')::text, 6, '0')`))
      .comment('Case number, e.g. AS-2026-000001; business key of after-sales-case. A caller that supplies one gets the same case back.')
    t.text('order_number').references('orders.order_number').comment('The order concerned, when there is one.')
    t.text('shipment_number').references('shipments.shipment_number').comment('The damaged shipment, for a carrier claim.')
    t.text('kind').notNullable().comment('service-request, complaint or damage (transport damage).')
    t.text('status').notNullable().defaultTo('recorded').comment('recorded, forwarded (to after-sales, 60 min), contacted (2 h), resolved, closed.')
    t.text('description').notNullable().comment('What the customer reports.')
    t.jsonb('service_request').notNullable().defaultTo('{}')
      .comment('Form QR/JY-2005 (用户服务、质量信息反馈接受单): customer, contact, product, model, quantity, problem, received by, received at, attachments.')
    t.jsonb('resolution').comment('How it was resolved: action (answer, repair, replace, carrier-claim), by whom, customer confirmation, analysis.')
    t.jsonb('carrier_claim').comment('Carrier claim of a damage case: carrier, tracking number, amount, state.')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When it was recorded.')
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('Last change.')
    t.timestamp('closed_at', { useTz: true }).comment('When the customer confirmed and the case closed.')
    t.index(['order_number'], 'after_sales_cases_order_number_index')
  })
  await knex.raw('alter sequence after_sales_cases_number_seq owned by after_sales_cases.case_number')
  await knex.raw(`
    alter table after_sales_cases add constraint after_sales_cases_kind_check
    check (kind in ('service-request', 'complaint', 'damage'))`)
  await knex.raw(`
    alter table after_sales_cases add constraint after_sales_cases_status_check
    check (status in ('recorded', 'forwarded', 'contacted', 'resolved', 'closed'))`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('after_sales_cases')
}
