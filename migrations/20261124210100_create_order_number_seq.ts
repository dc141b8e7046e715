import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw('create sequence order_number_seq')
  await knex.raw(`comment on sequence order_number_seq is 'Running number of orders received through the API: CO-2026-000123 (contract), SO-2026-000124 (shop).'`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop sequence order_number_seq')
}
