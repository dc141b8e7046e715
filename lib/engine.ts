/**
 * The engine, run by the project itself: the Spring Boot application in `engine/` (Operaton 1.0.3
 * with its REST API, Tasklist, Cockpit and Admin), built by Maven from Maven Central, started in
 * the background on ENGINE_URL's port with its settings taken from our configuration, and stopped
 * cleanly. Its database is an H2 file in the data folder, or PostgreSQL (its own database).
 * With ENGINE_NODES > 1 it runs as a cluster: that many nodes on consecutive ports sharing one
 * PostgreSQL database, each with its own pid file, log and node name (in the job log).
 */
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { dataDir, engineNodes, engineNodeUrls, projectRoot, urlPort, type Config } from './config.ts'
import { ensureDatabase } from './db.ts'
import { createEngineRest } from './engine-rest.ts'

/** The engine release, as pinned in engine/pom.xml (shown by status and the benchmarks). */
export const OPERATON_VERSION = '1.0.3'
/** Spin's JSON data format: the one version Maven Central serves (see engine/pom.xml). */
const SPIN_JSON_ARTIFACT = 'org.operaton.spin:operaton-spin-dataformat-json-jackson:1.0.0'

const engineDir = path.join(projectRoot, 'engine')
const engineJar = path.join(engineDir, 'target', 'order-flow-engine.jar')

/** Every path the engine (node `node` of the cluster) uses, below `<DATA_DIR>/engine`, and its build. */
export function enginePaths(config: Config, node = 1) {
  const root = path.join(dataDir(config), 'engine')
  const suffix = node === 1 ? '' : `-${node}`
  return {
    root,
    jar: engineJar,
    buildStamp: path.join(engineDir, 'target', 'order-flow-engine.sources-sha256'),
    /** Copies of built jars that engines run from, so that a rebuild never replaces a running one's. */
    runJars: path.join(root, 'jars'),
    logs: path.join(root, 'logs'),
    log: path.join(root, 'logs', `engine${suffix}.log`),
    pid: path.join(root, `engine${suffix}.pid`),
  }
}

/** The port of ENGINE_URL (node 1), or of node `node`. */
export const enginePort = (config: Config, node = 1) => urlPort(engineNodeUrls(config)[node - 1])

/** A problem the person running the engine can fix; the message says how. */
export class EngineError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'EngineError'
  }
}

type Say = (line: string) => void
const defaultSay: Say = (line) => process.stdout.write(`[engine] ${line}\n`)

// ---------------------------------------------------------------- Java and Maven

interface Jdk {
  home: string
  major: number
}

function javaMajor(java: string): number | undefined {
  if (!existsSync(java) && java !== 'java') return undefined
  const out = spawnSync(java, ['-version'], { encoding: 'utf8' })
  if (out.error) return undefined
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${out.stderr}${out.stdout}`)
  if (!match) return undefined
  const first = Number(match[1])
  return first === 1 ? Number(match[2]) : first
}

/** JDKs to consider: JAVA_HOME first, then every JDK under /usr/lib/jvm, newest first. */
export async function candidateJdks(javaHome: string | undefined, jvmDir = '/usr/lib/jvm'): Promise<Jdk[]> {
  const homes = javaHome ? [javaHome] : []
  if (existsSync(jvmDir)) homes.push(...(await readdir(jvmDir)).map((name) => path.join(jvmDir, name)))
  const seen = new Set<number>()
  const jdks: Jdk[] = []
  for (const home of homes) {
    const major = javaMajor(path.join(home, 'bin', 'java'))
    if (major !== undefined && !seen.has(major)) {
      seen.add(major)
      jdks.push({ home, major })
    }
  }
  return jdks.sort((a, b) => b.major - a.major)
}

/**
 * The JDK for the engine: JAVA_HOME when set (it must be 17+), else the newest 17+ under
 * /usr/lib/jvm. A clear error naming what was found when none fits.
 */
export async function findJava(config: Config, min = 17): Promise<Jdk> {
  const jdks = await candidateJdks(config.JAVA_HOME)
  if (config.JAVA_HOME) {
    const chosen = jdks.find((jdk) => jdk.home === config.JAVA_HOME)
    if (!chosen) throw new EngineError(`JAVA_HOME=${config.JAVA_HOME} has no working bin/java. Point it at a Java ${min}+ JDK, or unset it.`)
    if (chosen.major < min) throw new EngineError(`JAVA_HOME=${config.JAVA_HOME} is Java ${chosen.major}; the engine needs Java ${min} or newer.`)
    return chosen
  }
  const fit = jdks.find((jdk) => jdk.major >= min)
  if (fit) return fit
  const found = jdks.length ? jdks.map((j) => `Java ${j.major} at ${j.home}`).join(', ') : 'no JDK'
  throw new EngineError(
    `the engine needs Java ${min} or newer; found ${found}. Install one (apt-get install openjdk-17-jdk-headless) and set JAVA_HOME to it.`,
  )
}

/** Checks that Maven runs; the engine is built with it. */
export function requireMaven(command = 'mvn'): void {
  const probe = spawnSync(command, ['--version'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) {
    throw new EngineError(`Maven (${command}) is not on the PATH; the engine is built with it. Install it (apt-get install maven).`)
  }
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

/** Runs Maven in engine/, showing its progress (one line per build step and download count). */
async function mvn(args: string[], say: Say, javaHome: string, cwd = engineDir): Promise<string> {
  const output: string[] = []
  let downloads = 0
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn('mvn', ['-B', '--no-transfer-progress', ...args], { cwd, env: { ...process.env, JAVA_HOME: javaHome } })
    let partial = ''
    const take = (chunk: Buffer) => {
      const text = partial + chunk.toString()
      const lines = text.split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) {
        output.push(line)
        if (output.length > 400) output.shift()
        if (/^\[INFO\] --- /.test(line)) say(`  ${line.replace(/^\[INFO\] --- /, '').replace(/ ---$/, '')}`)
        else if (/^\[INFO\] Downloaded from/.test(line) && ++downloads % 50 === 0) say(`  ${downloads} files fetched from Maven Central`)
        else if (/BUILD (SUCCESS|FAILURE)|Tests run:.*Fail/.test(line)) say(`  ${line.replace(/^\[\w+\] /, '')}`)
      }
    }
    child.stdout.on('data', take)
    child.stderr.on('data', take)
    child.on('error', reject)
    child.on('close', (status) => resolve(status ?? 1))
  })
  const text = output.join('\n')
  if (code === 0) return text
  if (/Unknown host|UnknownHostException|Connection refused|Network is unreachable|Connect timed out|Could not transfer artifact/i.test(text)) {
    throw new EngineError(
      `Maven Central is unreachable, so the engine cannot be built. Check the network (or a mirror in ~/.m2/settings.xml), then run npm run engine -- install again.\n${tail(text, 8)}`,
    )
  }
  throw new EngineError(`building the engine failed (mvn ${args.join(' ')}):\n${tail(text, 25)}`)
}

/** A hash of everything the build reads: the pom and every source file of engine/src. */
async function sourcesHash(): Promise<string> {
  const hash = createHash('sha256')
  const walk = async (dir: string): Promise<string[]> => {
    const entries = await readdir(dir, { withFileTypes: true })
    const files = await Promise.all(entries.map((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)])))
    return files.flat()
  }
  const files = [path.join(engineDir, 'pom.xml'), ...(await walk(path.join(engineDir, 'src', 'main')))].sort()
  for (const file of files) hash.update(path.relative(engineDir, file)).update('\0').update(await readFile(file)).update('\0')
  return hash.digest('hex')
}

/** Whether the built jar matches the sources (so install can reuse it). */
export async function engineBuilt(config: Config): Promise<boolean> {
  const paths = enginePaths(config)
  if (!existsSync(paths.jar) || !existsSync(paths.buildStamp)) return false
  return (await readFile(paths.buildStamp, 'utf8')).trim() === (await sourcesHash())
}

/**
 * Builds the engine application with Maven (engine/target/order-flow-engine.jar), unless the jar
 * was built from the same sources already. `tests` also runs its unit tests (mvn verify).
 */
export async function installEngine(config: Config, say: Say = defaultSay, { tests = false } = {}): Promise<{ built: boolean; ms: number; output: string }> {
  const started = Date.now()
  if (!tests && (await engineBuilt(config))) {
    say(`engine build is up to date (${path.relative(projectRoot, engineJar)})`)
    return { built: false, ms: Date.now() - started, output: '' }
  }
  const java = await findJava(config)
  requireMaven()
  say(`building the engine (Operaton ${OPERATON_VERSION}, Java ${java.major}) with Maven; the first build fetches about 150 MB`)
  // The JSON data format's jar alone: its pom names a parent that Maven Central does not serve.
  // dependency:get 2.8, outside any project, fetches a jar without reading its descriptor (3.x reads it).
  await mvn(['-q', 'org.apache.maven.plugins:maven-dependency-plugin:2.8:get', `-Dartifact=${SPIN_JSON_ARTIFACT}`, '-Dtransitive=false'], say, java.home, os.tmpdir())
  const output = await mvn([tests ? 'verify' : 'package', ...(tests ? [] : ['-DskipTests'])], say, java.home)
  await writeFile(enginePaths(config).buildStamp, `${await sourcesHash()}\n`)
  const ms = Date.now() - started
  say(`engine built in ${(ms / 1000).toFixed(1)} s`)
  return { built: true, ms, output }
}

// ---------------------------------------------------------------- database

interface EngineDatabase {
  jdbcUrl: string
  user: string
  password: string
  describe: string
}

/** The JDBC settings of ENGINE_DATABASE_URL; PostgreSQL's database is created when missing. */
export async function engineDatabase(config: Config): Promise<EngineDatabase> {
  const url = config.ENGINE_DATABASE_URL
  if (url.startsWith('h2:')) {
    const file = path.resolve(dataDir(config), url.slice(3))
    await mkdir(path.dirname(file), { recursive: true })
    // One engine per file: H2's file lock refuses a second one (reported by startEngine).
    return { jdbcUrl: `jdbc:h2:file:${file};DB_CLOSE_ON_EXIT=FALSE`, user: 'sa', password: '', describe: `H2 file ${file}.mv.db` }
  }
  const parsed = new URL(url)
  try {
    await ensureDatabase(url)
  } catch (error) {
    throw new EngineError(
      `the engine's PostgreSQL (ENGINE_DATABASE_URL, ${parsed.host}) is unreachable or refuses us: ${(error as Error).message}. Start PostgreSQL (pg_ctlcluster <version> main start) or fix ENGINE_DATABASE_URL.`,
    )
  }
  return {
    jdbcUrl: `jdbc:postgresql://${parsed.host}${parsed.pathname}`,
    user: decodeURIComponent(parsed.username || 'postgres'),
    password: decodeURIComponent(parsed.password),
    describe: `PostgreSQL database ${parsed.pathname.slice(1)} at ${parsed.host}`,
  }
}

// ---------------------------------------------------------------- processes

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(file, 'utf8')).trim())
    if (!pid) return undefined
    process.kill(pid, 0)
    return pid
  } catch {
    return undefined
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/** Refuses ports another program holds, naming them and how to find it. */
export async function requirePortsFree(list: number[]): Promise<void> {
  const taken: number[] = []
  for (const port of list) if (!(await portFree(port))) taken.push(port)
  if (taken.length) {
    throw new EngineError(
      `port${taken.length > 1 ? 's' : ''} ${taken.join(', ')} already taken by another program (see: ss -ltnp | grep -E ':(${taken.join('|')})\\b'); stop it or set ENGINE_URL to another port, then start the engine again.`,
    )
  }
}

/** Last lines of a log file ('' when it does not exist). */
export async function logTail(file: string, lines = 40): Promise<string> {
  try {
    return tail(await readFile(file, 'utf8'), lines)
  } catch {
    return ''
  }
}

/** True when node `node`'s REST API answers an authenticated call (the node is up and its database too). */
export async function engineReady(config: Config, node = 1): Promise<boolean> {
  try {
    await createEngineRest(config, undefined, { node }).get('/version', { timeoutMs: 2000 })
    return true
  } catch {
    return false
  }
}

/** What an engine that stopped while starting says in its log, in words the person can act on. */
function startFailure(log: string, database: EngineDatabase): string | undefined {
  if (/Database may be already in use|lock.*\.mv\.db|FileLockMethod/i.test(log)) {
    return `the ${database.describe} is locked by another engine. Stop that engine (npm run engine -- stop, or the JVM holding the file), or set ENGINE_DATABASE_URL to another file.`
  }
  if (/Port \d+ was already in use|Address already in use/i.test(log)) return 'its port was taken while it started; stop the other program or set ENGINE_URL to another port.'
  if (/Connection to .* refused|PSQLException|password authentication failed/i.test(log)) {
    return `it cannot use ${database.describe}; check that PostgreSQL runs and ENGINE_DATABASE_URL is right.`
  }
  if (/service-levels\.json|business-calendar\.json/.test(log)) return 'processes/service-levels.json or processes/business-calendar.json is invalid (see the log lines below).'
  return undefined
}

async function waitUntilReady(config: Config, node: number, pid: number, database: EngineDatabase, say: Say, timeoutMs = 180000): Promise<number> {
  const paths = enginePaths(config, node)
  const started = Date.now()
  let lastSaid = started
  while (!(await engineReady(config, node))) {
    if (!(await readPid(paths.pid))) {
      const log = await logTail(paths.log, 400)
      const why = startFailure(log, database)
      throw new EngineError(`the engine stopped while starting${why ? `: ${why}` : ''}\nLast lines of ${paths.log}:\n${tail(log, 25)}`)
    }
    if (Date.now() - started > timeoutMs) throw new EngineError(`the engine (pid ${pid}) is not ready after ${timeoutMs / 1000} s. Last lines of ${paths.log}:\n${await logTail(paths.log)}`)
    if (Date.now() - lastSaid > 10000) {
      say(`  waiting for ${nodeName(config, node)} (${Math.round((Date.now() - started) / 1000)} s)`)
      lastSaid = Date.now()
    }
    await sleep(250)
  }
  return Date.now() - started
}

/** "the engine", or "engine node n" in a cluster (for messages). */
const nodeName = (config: Config, node: number) => (config.ENGINE_NODES === 1 ? 'the engine' : `engine node ${node}`)

/**
 * Builds the engine when needed, starts every node in the background (node 1 first: it creates
 * or updates the schema; then the others together) and waits until each REST API answers.
 * Returns the milliseconds from launch to ready and node 1's pid. Reuses running nodes of ours.
 */
export async function startEngine(config: Config, say: Say = defaultSay): Promise<{ ms: number; pid: number; pids: number[] }> {
  const started = Date.now()
  await installEngine(config, say)
  const [first, ...others] = engineNodes(config)
  const pids = [(await startNode(config, first, say)).pid]
  pids.push(...(await Promise.all(others.map(async (node) => (await startNode(config, node, say)).pid))))
  return { ms: Date.now() - started, pid: pids[0], pids }
}

/** Starts one node (1-based) of an engine already built, unless it runs; waits until it answers. */
export async function startNode(config: Config, node: number, say: Say = defaultSay): Promise<{ ms: number; pid: number }> {
  const paths = enginePaths(config, node)
  const name = nodeName(config, node)
  const url = engineNodeUrls(config)[node - 1]
  const running = await readPid(paths.pid)
  if (running && (await engineReady(config, node))) {
    say(`${name} already runs (pid ${running})`)
    return { ms: 0, pid: running }
  }
  const java = await findJava(config)
  await requirePortsFree([enginePort(config, node)])
  const database = await engineDatabase(config)
  await mkdir(paths.logs, { recursive: true })
  const jar = await runnableJar(config)
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ENGINE_PORT: String(enginePort(config, node)),
    ENGINE_JDBC_URL: database.jdbcUrl,
    ENGINE_JDBC_USER: database.user,
    ENGINE_JDBC_PASSWORD: database.password,
    ENGINE_ADMIN_USER: config.ENGINE_ADMIN_USER,
    ENGINE_ADMIN_PASSWORD: config.ENGINE_ADMIN_PASSWORD,
    ORDER_FLOW_PROCESSES_DIR: path.join(projectRoot, 'processes'),
    ENGINE_NODE_NAME: `${os.hostname()}:${enginePort(config, node)}`,
  }
  const args = [`-Xmx${config.ENGINE_HEAP_MB}m`, '-XX:+UseSerialGC', '-Xss512k', '-Duser.timezone=UTC', '-Dfile.encoding=UTF-8', '-jar', jar]
  const out = await open(paths.log, 'a')
  await out.write(`\n---- ${new Date().toISOString()} starting ${name} on ${url} with ${database.describe}\n`)
  const child = spawn(path.join(java.home, 'bin', 'java'), args, { env, cwd: engineDir, detached: true, stdio: ['ignore', out.fd, out.fd] })
  await out.close()
  if (!child.pid) throw new EngineError('could not start java')
  child.unref()
  await writeFile(paths.pid, `${child.pid}\n`)
  say(`starting ${name} (pid ${child.pid}, ${database.describe}) on ${url}`)
  const ms = await waitUntilReady(config, node, child.pid, database, say)
  say(`${name} ready in ${(ms / 1000).toFixed(1)} s: REST ${url}/engine-rest, Tasklist ${url}/operaton/app/tasklist/`)
  return { ms, pid: child.pid }
}

/**
 * The jar to run: a copy of the build named by its content hash. A Spring Boot jar must not change
 * under a running JVM (its classes load lazily from it), and a rebuild writes the same path.
 */
async function runnableJar(config: Config): Promise<string> {
  const paths = enginePaths(config)
  const hash = createHash('sha256').update(await readFile(paths.jar)).digest('hex').slice(0, 16)
  const copy = path.join(paths.runJars, `order-flow-engine-${hash}.jar`)
  if (!existsSync(copy)) {
    await mkdir(paths.runJars, { recursive: true })
    const partial = `${copy}.${process.pid}.part`
    await copyFile(paths.jar, partial)
    await rename(partial, copy)
    for (const old of await readdir(paths.runJars)) {
      if (old !== path.basename(copy) && !old.endsWith('.part')) await rm(path.join(paths.runJars, old), { force: true })
    }
  }
  return copy
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0)
    } catch {
      return true
    }
    await sleep(100)
  }
  return false
}

/**
 * Stops every node of the engine (SIGTERM, then SIGKILL after 40 s), or node `node` alone, and
 * waits until no JVM of it is left. `hard` kills at once (SIGKILL), as a crash would.
 * Returns false when a node would not stop on SIGTERM and had to be killed.
 * @throws EngineError when one is still there after SIGKILL.
 */
export async function stopEngine(config: Config, say: Say = defaultSay, { hard = false, node }: { hard?: boolean; node?: number } = {}): Promise<boolean> {
  // Every node in the range, also those of a larger cluster started before ENGINE_NODES was lowered.
  const nodes = node ? [node] : [...new Set([...engineNodes(config), ...(await startedNodes(config))])]
  const clean = await Promise.all(nodes.map((n) => stopNode(config, n, say, hard)))
  return clean.every(Boolean)
}

/** Nodes with a pid file in the data folder. */
async function startedNodes(config: Config): Promise<number[]> {
  const files = await readdir(enginePaths(config).root).catch(() => [] as string[])
  return files.flatMap((file) => {
    const match = /^engine(?:-(\d+))?\.pid$/.exec(file)
    return match ? [Number(match[1] ?? 1)] : []
  })
}

async function stopNode(config: Config, node: number, say: Say, hard: boolean): Promise<boolean> {
  const paths = enginePaths(config, node)
  const name = nodeName(config, node)
  const pid = await readPid(paths.pid)
  if (!pid) {
    await rm(paths.pid, { force: true })
    return true
  }
  say(`stopping ${name} (pid ${pid}${hard ? ', SIGKILL' : ''})`)
  process.kill(pid, hard ? 'SIGKILL' : 'SIGTERM')
  let clean = true
  if (!(await waitGone(pid, hard ? 30000 : 40000))) {
    say(`${name} did not stop within 40 s; killing it`)
    clean = false
    process.kill(pid, 'SIGKILL')
    if (!(await waitGone(pid, 30000))) throw new EngineError(`${name} (pid ${pid}) is still running after SIGKILL`)
  }
  await rm(paths.pid, { force: true })
  return clean
}

/**
 * Stops the engine — gracefully (SIGTERM) or as a crash (`hard`: SIGKILL) — and starts it again
 * on the same database: the engine restarts of `npm run chaos`. With `node`, only that node of
 * the cluster; the others carry on. Returns the milliseconds it was away.
 */
export async function restartEngine(config: Config, options: { hard?: boolean; node?: number } = {}, say: Say = defaultSay): Promise<number> {
  const stopped = Date.now()
  await stopEngine(config, say, options)
  if (options.node) await startNode(config, options.node, say)
  else await startEngine(config, say)
  return Date.now() - stopped
}

export interface EngineStatus {
  node: number
  url: string
  pid?: number
  ready: boolean
  version?: string
  residentKiB?: number
}

/** Whether node `node`'s process runs, answers, and how much memory it holds. */
export async function engineStatus(config: Config, node = 1): Promise<EngineStatus> {
  const pid = await readPid(enginePaths(config, node).pid)
  let version: string | undefined
  try {
    version = (await createEngineRest(config, undefined, { node }).get<{ version: string }>('/version', { timeoutMs: 2000 })).version
  } catch {
    version = undefined
  }
  return { node, url: engineNodeUrls(config)[node - 1], pid, ready: version !== undefined, version, residentKiB: pid ? await residentKiB(pid) : undefined }
}

/** The status of every node of the cluster. */
export const clusterStatus = (config: Config): Promise<EngineStatus[]> => Promise.all(engineNodes(config).map((node) => engineStatus(config, node)))

/** Resident memory (KiB) of a process, from /proc. */
export async function residentKiB(pid: number): Promise<number | undefined> {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) : undefined
  } catch {
    return undefined
  }
}

/** Copies a log's new lines to stdout as they come (for `npm run engine -- logs -f`). */
export function followLog(file: string): () => void {
  const tailer = spawn('tail', ['-n', '50', '-F', file], { stdio: ['ignore', 'inherit', 'inherit'] })
  return () => tailer.kill()
}

/** Size of the built engine jar in MiB (0 when not built). */
export async function engineJarMiB(config: Config): Promise<number> {
  try {
    return Math.round((await stat(enginePaths(config).jar)).size / 1048576)
  } catch {
    return 0
  }
}
