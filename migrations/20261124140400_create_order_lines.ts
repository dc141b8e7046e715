import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('order_lines', (t) => {
    t.comment('The lines of an order as validated (D1 第4条 2: product name, model, quantity); replaced when the order is corrected.')
    t.text('order_number').notNullable().references('orders.order_number').comment('The order.')
    t.integer('line_no').notNullable().comment('Line number on the order, from 1.')
    t.text('sku').references('products.sku').comment('Catalogue product, when the line names a known one.')
    t.text('product_name').notNullable().comment('Product name as written on the order.')
    t.text('model').notNullable().comment('Model as written on the order.')
    t.integer('quantity').notNullable().comment('Units ordered.')
    t.decimal('unit_price', 12, 2).comment('Agreed unit price in CNY, once quoted.')
    t.primary(['order_number', 'line_no'])
  })
  await knex.raw(`alter table order_lines add constraint order_lines_line_no_check check (line_no >= 1)`)
  await knex.raw(`alter table order_lines add constraint order_lines_quantity_check check (quantity >= 1)`)
  await knex.raw(`alter table order_lines add constraint order_lines_unit_price_check check (unit_price >= 0)`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('order_lines')
}
