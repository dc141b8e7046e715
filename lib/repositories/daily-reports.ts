/** The stored daily reports (`daily_reports`, D10 15G/15D): written by daily-report, read by the API. */
import type { Knex } from 'knex'

export type DailyReportKind = 'production-daily' | 'coordination-agenda'

export interface DailyReportRow {
  id: number
  kind: DailyReportKind
  /** YYYY-MM-DD */
  report_date: string
  title: string
  report: Record<string, unknown>
  markdown: string
  job_key: string
  process_instance_key: string | null
  created_at: Date
}

const columns = ['id', 'kind', 'title', 'report', 'markdown', 'job_key', 'process_instance_key', 'created_at'] as const

export function createDailyReportRepository(db: Knex) {
  const select = (trx: Knex) => trx('daily_reports').select(...columns, trx.raw(`to_char(report_date, 'YYYY-MM-DD') as report_date`))
  return {
    /** Stores a compiled report once per job; a redelivered job gets the stored row back. */
    async save(
      report: { kind: DailyReportKind; date: string; title: string; markdown: string; facts: Record<string, unknown> },
      job: { key: string; processInstanceKey?: string | null },
      trx: Knex = db,
    ): Promise<DailyReportRow> {
      await trx('daily_reports')
        .insert({
          kind: report.kind,
          report_date: report.date,
          title: report.title,
          report: JSON.stringify(report.facts),
          markdown: report.markdown,
          job_key: job.key,
          process_instance_key: job.processInstanceKey ?? null,
        })
        .onConflict('job_key')
        .ignore()
      return select(trx).where({ job_key: job.key }).first()
    },
    /**
     * The newest report, of one kind when given, optionally for one date (YYYY-MM-DD); undefined
     * when there is none. This is what `GET /reports/daily` answers.
     */
    async latest(options: { kind?: DailyReportKind; date?: string } = {}, trx: Knex = db): Promise<DailyReportRow | undefined> {
      let query = select(trx).orderBy('id', 'desc')
      if (options.kind) query = query.where({ kind: options.kind })
      if (options.date) query = query.where({ report_date: options.date })
      return query.first()
    },
  }
}

export type DailyReportRepository = ReturnType<typeof createDailyReportRepository>
