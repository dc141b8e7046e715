/**
 * The integrators' curl examples in README.md run as written: the first `sh` block of *For
 * integrators* is run by bash against the API (on the test database and the real engine, on a
 * free port instead of 3000), and every call must answer what its comment says.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { projectRoot } from '../lib/config.ts'
import { openApi } from './api/support.ts'

const documentedApi = 'API=http://127.0.0.1:3000'

function integratorExample(): string {
  const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## For integrators'))
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1]
  assert.ok(block?.includes(documentedApi), `the first sh block of "For integrators" sets ${documentedApi}`)
  return block!
}

test('the README\'s integrator examples run as written and answer the statuses they announce', async () => {
  const api = await openApi()
  const folder = mkdtempSync(path.join(tmpdir(), 'order-flow-readme-'))
  try {
    await api.app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = api.app.server.address() as AddressInfo
    const script = integratorExample().replace(documentedApi, `API=http://127.0.0.1:${port}`)
    // Not spawnSync: the API answering the examples runs in this process.
    const run = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: folder, encoding: 'utf8' }, (error, stdout, stderr) =>
        resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }))
    })
    const output = `${run.stdout}\n${run.stderr}`
    assert.is(run.status, 0, output)
    const statuses = [...run.stdout.matchAll(/^HTTP (\d{3})$/gm)].map((m) => m[1])
    assert.equal(statuses, ['201', '201', '200', '202', '202', '202', '201', '200', '200'], output)
    const orderNumber = JSON.parse(readFileSync(path.join(folder, 'order.json'), 'utf8')).orderNumber as string
    assert.match(orderNumber, /^CO-\d{4}-\d{6}$/)
    const csv = path.join(folder, `${orderNumber}.csv`)
    assert.ok(existsSync(csv), 'the CSV history is saved')
    assert.ok(readFileSync(csv, 'utf8').startsWith('at,kind,source,'), 'as CSV')
    assert.equal(api.calls.started.map((s) => s.processKey), ['contract-order', 'shop-order', 'after-sales-case'])
  } finally {
    await api.close()
    rmSync(folder, { recursive: true, force: true })
  }
})

test.run()
