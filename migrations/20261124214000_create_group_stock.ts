import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('group_stock', (t) => {
    t.comment('Stock the other group companies hold and can transfer (D2 二.一.3 查询集团各公司库存), as procurement last learned it; procurement-request asks for a transfer when one company holds a whole shortage.')
    t.text('company').notNullable().comment('The group company holding the stock.')
    t.text('sku').notNullable().references('products.sku').comment('The product held.')
    t.integer('available').notNullable().comment('Units the company can transfer.')
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When procurement last recorded it.')
    t.primary(['company', 'sku'])
  })
  await knex.raw(`alter table group_stock add constraint group_stock_available_check check (available >= 0)`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('group_stock')
}
