/**
 * The faults of a chaos run: the workers process killed (SIGKILL) and restarted, the engine
 * stopped and started again, PostgreSQL stopped for a while.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { projectRoot } from '../../lib/config.ts'

export interface WorkerKill {
  at: number
  /** `signal`: the run sent SIGKILL at a random moment; `after-effect`: the process killed itself after a side effect, before reporting the job. */
  kind: 'signal' | 'after-effect'
  detail?: string
}

/**
 * Runs scripts/chaos/workers.ts as a child process and starts it again whenever it dies. The
 * first start, and one in three after it, is asked (CHAOS_KILL_AFTER) to kill itself after its
 * 1st–4th side effect (when the run kills workers at all); until that first kill after a side
 * effect has happened, no random kill is sent (so every run has one, however slow the machine).
 */
export function superviseWorkers(options: { env: NodeJS.ProcessEnv; say: (line: string) => void; random: () => number; killAfterEffects: boolean }) {
  const { env, say, random, killAfterEffects } = options
  const kills: WorkerKill[] = []
  let child: ChildProcess | undefined
  let stopping = false
  let starts = 0

  const start = () => {
    starts++
    const killAfter = killAfterEffects && (starts === 1 || starts % 3 === 2) ? 1 + Math.floor(random() * 4) : 0
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'scripts/chaos/workers.ts')], {
      cwd: projectRoot,
      env: { ...env, CHAOS_KILL_AFTER: String(killAfter) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = proc
    const lines = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (line.startsWith('chaos: SIGKILL after')) kills.push({ at: Date.now(), kind: 'after-effect', detail: line.slice(7) })
        else if (/"level":"(error)"|Error:/.test(line) && !/CANCELLED|UNAVAILABLE|ECONNREFUSED|terminat|Connection/i.test(line)) say(`workers: ${line.slice(0, 300)}`)
      }
    }
    proc.stdout?.on('data', lines)
    proc.stderr?.on('data', lines)
    proc.on('exit', (code, signal) => {
      if (child === proc) child = undefined
      if (stopping) return
      if (signal !== 'SIGKILL') say(`workers exited (${signal ?? `code ${code}`}); starting them again`)
      setTimeout(() => !stopping && !child && start(), signal === 'SIGKILL' ? 500 : 2000)
    })
  }
  start()

  return {
    kills,
    starts: () => starts,
    /** SIGKILL at a random moment (whatever the workers are doing). */
    kill() {
      if (!child?.pid || (killAfterEffects && !kills.some((kill) => kill.kind === 'after-effect'))) return false
      kills.push({ at: Date.now(), kind: 'signal' })
      child.kill('SIGKILL')
      return true
    },
    async stop() {
      stopping = true
      const proc = child
      if (!proc) return
      proc.kill('SIGTERM')
      await Promise.race([new Promise((resolve) => proc.once('exit', resolve)), sleep(15000)])
      proc.kill('SIGKILL')
    },
  }
}

/** The local PostgreSQL cluster `pg_ctlcluster` manages (the newest in /etc/postgresql), if this user may stop it. */
function localCluster(): { version: string } | undefined {
  if (process.getuid?.() !== 0) return undefined
  try {
    const versions = readdirSync('/etc/postgresql').sort((a, b) => Number(a) - Number(b))
    return versions.length ? { version: versions[versions.length - 1] } : undefined
  } catch {
    return undefined
  }
}

function pgCtl(version: string, action: 'stop' | 'start'): void {
  const args = ['--skip-systemctl-redirect', version, 'main', action, ...(action === 'stop' ? ['-m', 'fast'] : [])]
  const result = spawnSync('pg_ctlcluster', args, { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`pg_ctlcluster ${args.join(' ')} failed: ${(result.stderr || result.stdout || String(result.error)).trim()}`)
}

/**
 * Takes the database away for `seconds`: the local PostgreSQL server itself (`server`; it needs
 * root and pg_ctlcluster, and stops every database on it — the engine's too when it lives there),
 * or every order-database connection of this run cut at its loopback proxy (`proxy`; nobody else
 * on the machine notices). `auto` stops the server when it may. Returns which it was.
 */
export async function databaseOutage(
  seconds: number,
  proxy: { close(): Promise<void>; open(): Promise<void> },
  say: (line: string) => void,
  mode: 'auto' | 'server' | 'proxy' = 'auto',
) {
  const cluster = mode === 'proxy' ? undefined : localCluster()
  if (mode === 'server' && !cluster) throw new Error('--outage server needs root and a local PostgreSQL cluster (pg_ctlcluster)')
  if (cluster) {
    say(`stopping PostgreSQL ${cluster.version} for ${seconds} s`)
    pgCtl(cluster.version, 'stop')
    try {
      await sleep(seconds * 1000)
    } finally {
      pgCtl(cluster.version, 'start')
      for (let i = 0; i < 60 && spawnSync('pg_isready', ['-h', '127.0.0.1', '-q']).status !== 0; i++) await sleep(500)
      say('PostgreSQL is back')
    }
    return 'server stopped' as const
  }
  say(`cutting every order-database connection of the run for ${seconds} s${mode === 'proxy' ? '' : ' (not root: the server itself cannot be stopped)'}`)
  await proxy.close()
  try {
    await sleep(seconds * 1000)
  } finally {
    await proxy.open()
  }
  return 'connections cut' as const
}
