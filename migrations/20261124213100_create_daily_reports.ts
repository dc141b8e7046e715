import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('daily_reports', (t) => {
    t.comment('The production daily reports (D10 15G) and coordination meeting agendas (D10 15D) as compiled, newest last.')
    t.bigIncrements('id').comment('Order of writing.')
    t.text('kind').notNullable().comment('production-daily or coordination-agenda.')
    t.date('report_date').notNullable().comment('The working day it is for, in the business calendar time zone.')
    t.text('title').notNullable().comment('Heading, e.g. Production daily report 2026-11-25 (D10 15G).')
    t.jsonb('report').notNullable().comment('The facts: late orders, open escalations, SLA breaches, output.')
    t.text('markdown').notNullable().comment('The report as the recipients read it.')
    t.text('job_key').notNullable().unique({ indexName: 'daily_reports_job_key_unique' }).comment('The job that compiled it: a redelivered job stores nothing twice.')
    t.text('process_instance_key').comment('Zeebe process instance.')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When it was compiled.')
    t.index(['kind', 'report_date'], 'daily_reports_kind_date_index')
  })
  await knex.raw(`alter table daily_reports add constraint daily_reports_kind_check check (kind in ('production-daily', 'coordination-agenda'))`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('daily_reports')
}
