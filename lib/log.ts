/** One-line JSON logs with a level, a source (job type or component) and fields. */
const levels = { debug: 10, info: 20, warn: 30, error: 40 } as const
export type Level = keyof typeof levels

let threshold: number = levels[(process.env.LOG_LEVEL as Level) ?? 'info'] ?? levels.info

export function setLogLevel(level: Level): void {
  threshold = levels[level]
}

export function log(level: Level, source: string, message: string, fields: Record<string, unknown> = {}): void {
  if (levels[level] < threshold) return
  const line = JSON.stringify({ time: new Date().toISOString(), level, source, message, ...fields })
  if (levels[level] >= levels.warn) process.stderr.write(`${line}\n`)
  else process.stdout.write(`${line}\n`)
}
