/**
 * `npm start` stops everything on SIGTERM, as a process manager sends it to the npm process alone:
 * the whole system is started on free ports with a data folder and a PGlite database of its own
 * (an engine on H2 in that folder), then SIGTERM goes to npm; npm must exit 0 once the workers,
 * the API and the engine are gone, leaving no process of ours and no port open. No timer: the test
 * waits for what the system prints and for the exits.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { projectRoot } from '../../lib/config.ts'
import { eventually } from '../helpers.ts'

/** A port nobody listens on now. */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  server.close()
  await once(server, 'close')
  return port
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' })
    socket.once('connect', () => socket.destroy() && resolve(true))
    socket.once('error', () => resolve(false))
  })

/** pid, parent pid and start time (clock ticks after boot) from /proc/<pid>/stat; undefined when gone. */
function stat(pid: number): { ppid: number; started: string } | undefined {
  try {
    // pid (comm) state ppid …: the command may hold spaces and parentheses, so read after the last ')'.
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { ppid: Number(fields[1]), started: fields[19] }
  } catch {
    return undefined
  }
}

const command = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 200)
  } catch {
    return '(gone)'
  }
}

/** A process seen before: its pid and start time, so a reused pid is not taken for it. */
interface Seen { pid: number; started: string; command: string }
const alive = (seen: Seen) => stat(seen.pid)?.started === seen.started

/** Every descendant of `root`, read from /proc. */
function descendants(root: number): Seen[] {
  const parents = new Map<number, { ppid: number; started: string }>()
  for (const entry of readdirSync('/proc')) {
    const found = /^\d+$/.test(entry) ? stat(Number(entry)) : undefined
    if (found) parents.set(Number(entry), found)
  }
  const found: Seen[] = []
  const walk = (pid: number) => {
    for (const [child, { ppid, started }] of parents) {
      if (ppid === pid) {
        found.push({ pid: child, started, command: command(child) })
        walk(child)
      }
    }
  }
  walk(root)
  return found
}

test('SIGTERM to the npm start process stops workers, API and engine and leaves nothing running', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'order-flow-start-'))
  const [enginePort, apiPort] = [await freePort(), await freePort()]
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    DATABASE_URL: `pglite:${path.join(dataDir, 'pglite')}`,
    ENGINE_URL: `http://127.0.0.1:${enginePort}`,
    ENGINE_DATABASE_URL: 'h2:engine/h2/operaton',
    API_HOST: '127.0.0.1',
    API_PORT: String(apiPort),
    OUTSIDE_SERVICES_MODE: 'sandbox',
    LOG_LEVEL: 'info',
  }
  // A process group of its own, so the clean-up below can reach whatever a failure leaves.
  const npm = spawn('npm', ['start'], { cwd: projectRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  npm.stdout.on('data', (chunk) => (output += chunk))
  npm.stderr.on('data', (chunk) => (output += chunk))
  const exited = once(npm, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  let ours: Seen[] = []
  let enginePid: number | undefined
  try {
    const running = await Promise.race([
      new Promise<true>((resolve) => npm.stdout.on('data', () => output.includes('order-flow is running.') && resolve(true))),
      exited.then(() => false as const),
    ])
    assert.ok(running, `npm start did not come up:\n${output.slice(-3000)}`)
    enginePid = Number(readFileSync(path.join(dataDir, 'engine', 'engine.pid'), 'utf8'))
    ours = [{ pid: npm.pid!, started: stat(npm.pid!)!.started, command: 'npm start' }, ...descendants(npm.pid!)]
    assert.ok(ours.some((p) => p.pid === enginePid), 'the engine is one of the processes npm start runs')
    assert.ok(ours.length >= 3, `npm, the start script and the engine: ${ours.map((p) => `${p.pid} ${p.command}`).join('; ')}`)
    assert.ok(await listening(enginePort), 'the engine listens')
    assert.ok(await listening(apiPort), 'the API listens')

    process.kill(npm.pid!, 'SIGTERM')
    const [code, signal] = await exited
    assert.equal([code, signal], [0, null], `npm start exited ${code ?? signal}:\n${output.slice(-3000)}`)
    assert.match(output, 'SIGTERM: stopping the workers, the API and the engine')
    // A child that learns of its parent's exit from its closed pipe (tsx's esbuild service) goes a moment later.
    await eventually('no process of ours left', async () => ours.every((p) => !alive(p)), 10000).catch(() => undefined)
    assert.equal(ours.filter(alive).map((p) => `${p.pid} ${p.command}`), [], 'no process of ours is left')
    assert.is(await listening(enginePort), false, `the engine port ${enginePort} is closed`)
    assert.is(await listening(apiPort), false, `the API port ${apiPort} is closed`)
  } finally {
    for (const left of ours.filter(alive)) process.kill(left.pid, 'SIGKILL')
    if (enginePid && command(enginePid).includes('order-flow-engine')) process.kill(enginePid, 'SIGKILL')
    if (npm.exitCode === null && npm.signalCode === null) process.kill(-npm.pid!, 'SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test.run()
