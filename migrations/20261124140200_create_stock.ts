import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('stock', (t) => {
    t.comment('Finished-goods stock per SKU (D10 5D/6D); available = on_hand minus active reservations.')
    t.text('sku').primary().references('products.sku').comment('The product.')
    t.integer('on_hand').notNullable().defaultTo(0).comment('Units physically in the finished-goods store.')
    t.text('location').comment('Store or shelf, for picking.')
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('Last changed.')
  })
  await knex.raw(`alter table stock add constraint stock_on_hand_check check (on_hand >= 0)`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('stock')
}
