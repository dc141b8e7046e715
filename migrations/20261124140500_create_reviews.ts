import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('reviews', (t) => {
    t.comment('Decisions of the order review user tasks (D1 第5条, D7, D10 1D-2C), one row per completed task.')
    t.bigIncrements('id').comment('Order of writing.')
    t.text('order_number').notNullable().references('orders.order_number').comment('The order reviewed.')
    t.text('kind').notNullable().comment('Which review: urgent-assessment, workshop, engineering, product-plan, sales-manager, gm, decline.')
    t.text('decision').notNullable().comment('The reviewer\'s decision as the form records it, e.g. accept, reject, negotiate.')
    t.date('delivery_date').comment('Delivery date the reviewer commits to or proposes.')
    t.text('decided_by').notNullable().comment('User who completed the task.')
    t.timestamp('decided_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When the task was completed.')
    t.text('comment').comment('Reviewer\'s remarks.')
    t.jsonb('details').notNullable().defaultTo('{}').comment('Further form fields of the review.')
    t.text('element_instance_key').notNullable().unique({ indexName: 'reviews_element_instance_key_unique' })
      .comment('Engine element instance of the user task: a task is recorded once, however often it is reported.')
    t.index(['order_number'], 'reviews_order_number_index')
  })
  await knex.raw(`
    alter table reviews add constraint reviews_kind_check check (kind in
      ('urgent-assessment', 'workshop', 'engineering', 'product-plan', 'sales-manager', 'gm', 'decline'))`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('reviews')
}
