import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('products', (t) => {
    t.comment('Product catalogue with the facts order classification (D1 第5条 1, D2 释义) and pricing (D2 一.三) need.')
    t.text('sku').primary().comment('Stock-keeping unit, the key of stock and order lines.')
    t.text('name').notNullable().comment('Product name as on the order (产品名称).')
    t.text('model').notNullable().comment('Model / specification (型号).')
    t.boolean('regular').notNullable().defaultTo(false).comment('Shipped before with complete technical files: a regular product (D1 第5条 1).')
    t.boolean('complete_set').notNullable().defaultTo(false).comment('Complete set (成套产品): 24 h production plan and 3-day packaging notice (D2 二.一.1, 二.二.2(5)).')
    t.boolean('technical_files_on_record').notNullable().defaultTo(false).comment('Drawings, BOM and process files are complete on record (D2 释义).')
    t.decimal('list_price', 12, 2).notNullable().comment('Company price-list unit price in CNY (D2 一.三).')
    t.decimal('special_modification_surcharge_pct', 5, 2).notNullable().defaultTo(0).comment('Surcharge in percent on the list price for a special modification (非标改制), e.g. 15.00.')
    t.text('unit').notNullable().defaultTo('pcs').comment('Unit of quantity: pcs, set, m.')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('First recorded.')
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('Last changed.')
  })
  await knex.raw(`alter table products add constraint products_list_price_check check (list_price >= 0)`)
  await knex.raw(
    `alter table products add constraint products_surcharge_check check (special_modification_surcharge_pct between 0 and 500)`,
  )
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('products')
}
