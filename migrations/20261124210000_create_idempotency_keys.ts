import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('idempotency_keys', (t) => {
    t.comment('One row per Idempotency-Key an API client sent with a POST: a replay gets the stored answer and changes nothing.')
    t.text('client').notNullable().comment('The API key the request came with (role and hash prefix), so clients never share keys.')
    t.text('idempotency_key').notNullable().comment('The Idempotency-Key header as sent.')
    t.text('method').notNullable().comment('HTTP method of the first request.')
    t.text('path').notNullable().comment('URL path of the first request.')
    t.text('request_hash').notNullable().comment('SHA-256 of method, path and body: the same key with another request is refused.')
    t.integer('status_code').notNullable().comment('HTTP status of the first answer.')
    t.jsonb('response').notNullable().comment('Body of the first answer, returned again on a replay.')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When the first request was answered.')
    t.primary(['client', 'idempotency_key'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('idempotency_keys')
}
