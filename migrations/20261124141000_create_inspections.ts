import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('inspections', (t) => {
    t.comment('Inspection records and the qc-verdict on them: incoming (D10 9H, D2 二.二.5) and final (D10 20G).')
    t.bigIncrements('id').comment('Order of writing.')
    t.text('order_number').notNullable().references('orders.order_number').comment('The order inspected for.')
    t.text('purchase_request_number').references('purchase_requests.request_number')
      .comment('The purchase request of an incoming lot; null for final inspection.')
    t.text('kind').notNullable().comment('incoming (purchased or transferred goods) or final (finished goods).')
    t.integer('lot_size').notNullable().comment('Units in the lot.')
    t.integer('sample_size').notNullable().comment('Units inspected (qc-sampling decision: full below 30 units).')
    t.integer('defects').notNullable().comment('Defective units found in the sample.')
    t.decimal('pass_rate', 5, 4).notNullable().comment('(sample - defects) / sample, 0 to 1; below 0.95 escalates an incoming lot.')
    t.text('verdict').notNullable().comment('pass, rework, reject (back to supplier, D10 17E) or escalate (to quality and procurement leads).')
    t.text('reason').comment('Why, when not pass: wrong model, missing parts, quantity mismatch, pass rate.')
    t.jsonb('items').notNullable().defaultTo('[]').comment('Findings per item as the inspector recorded them.')
    t.text('inspected_by').comment('Inspector (quality).')
    t.text('job_key').notNullable().unique({ indexName: 'inspections_job_key_unique' })
      .comment('qc-verdict job that recorded it: a redelivered job finds this verdict.')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When the verdict was recorded.')
    t.index(['order_number'], 'inspections_order_number_index')
  })
  await knex.raw(`alter table inspections add constraint inspections_kind_check check (kind in ('incoming', 'final'))`)
  await knex.raw(`alter table inspections add constraint inspections_verdict_check check (verdict in ('pass', 'rework', 'reject', 'escalate'))`)
  await knex.raw(`
    alter table inspections add constraint inspections_counts_check
    check (lot_size >= 0 and sample_size between 0 and lot_size and defects between 0 and sample_size)`)
  await knex.raw(`alter table inspections add constraint inspections_pass_rate_check check (pass_rate between 0 and 1)`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('inspections')
}
