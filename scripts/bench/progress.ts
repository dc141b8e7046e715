/** A one-line progress bar on stderr (redrawn in place on a terminal, a line every few seconds otherwise). */
export function progressBar(label: string, total: number) {
  const startedAt = Date.now()
  let lastLine = 0
  const tty = process.stderr.isTTY
  const draw = (done: number, note = '') => {
    const width = 24
    const filled = total ? Math.round((Math.min(done, total) / total) * width) : width
    const line = `[bench] ${label.padEnd(16)} ${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${done}/${total} ${note}· ${Math.round((Date.now() - startedAt) / 1000)} s`
    if (tty) process.stderr.write(`\r${line}\x1b[K`)
    else if (Date.now() - lastLine > 5000 || done === total) {
      process.stderr.write(`${line}\n`)
      lastLine = Date.now()
    }
  }
  return {
    update: draw,
    done(note = 'done') {
      draw(total, `${note} `)
      if (tty) process.stderr.write('\n')
    },
  }
}
