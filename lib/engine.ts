/**
 * The engine, run by the project itself: the Camunda Orchestration Cluster distribution
 * (Zeebe broker + gateway, REST API, Operate, Tasklist) and the OpenSearch node that is its
 * secondary storage, both fetched from Maven Central, unpacked into the data folder, configured
 * from our configuration, started in the background and stopped cleanly.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, chown, mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createEngineRest } from './camunda.ts'
import { dataDir, projectRoot, type Config } from './config.ts'
import { readListViewMapping, widenTasklistDates } from './engine-tasklist-dates.ts'

/**
 * The engine version, pinned here only. Maven Central as reachable from these machines serves
 * the `io.camunda:camunda-zeebe` distribution up to 8.6.0 (no 8.7, 8.8 or 8.9 tarball); see the
 * README's "Engine" section.
 */
export const CAMUNDA_VERSION = '8.6.0'
/** OpenSearch for Operate, Tasklist and the REST search API, assembled from Maven Central. */
export const OPENSEARCH_VERSION = '2.19.1'

/** OpenSearch modules the integration-test distribution lacks and Camunda needs. */
const OPENSEARCH_MODULES = [
  { name: 'lang-painless', artifact: 'lang-painless', classname: 'org.opensearch.painless.PainlessPlugin', extended: '' },
  { name: 'parent-join', artifact: 'parent-join-client', classname: 'org.opensearch.join.ParentJoinPlugin', extended: '' },
  { name: 'mapper-extras', artifact: 'mapper-extras-client', classname: 'org.opensearch.index.mapper.MapperExtrasPlugin', extended: '' },
  { name: 'aggs-matrix-stats', artifact: 'aggs-matrix-stats-client', classname: 'org.opensearch.search.aggregations.matrix.MatrixAggregationPlugin', extended: '' },
  { name: 'reindex', artifact: 'reindex-client', classname: 'org.opensearch.index.reindex.ReindexPlugin', extended: '' },
  { name: 'analysis-common', artifact: 'analysis-common', classname: 'org.opensearch.analysis.common.CommonAnalysisPlugin', extended: 'lang-painless' },
  { name: 'percolator', artifact: 'percolator-client', classname: 'org.opensearch.percolator.PercolatorPlugin', extended: '' },
  { name: 'rank-eval', artifact: 'rank-eval-client', classname: 'org.opensearch.index.rankeval.RankEvalPlugin', extended: '' },
] as const

const MODULE_POLICIES: Record<string, string> = {
  'lang-painless': `grant {\n  permission java.lang.RuntimePermission "createClassLoader";\n  permission java.lang.RuntimePermission "getClassLoader";\n};\n`,
  reindex: `grant {\n  permission java.net.SocketPermission "*", "connect";\n};\n`,
}

export const ports = {
  grpc: 26500,
  commandApi: 26501,
  internalApi: 26502,
  rest: 8080,
  management: 9600,
  search: 9200,
  searchTransport: 9300,
  /** lib/tasklist-bridge.ts: Tasklist's way to claim and complete user tasks on 8.6.0. */
  tasklistBridge: 8088,
} as const

/** Every path the engine uses, below `<DATA_DIR>/engine`. */
export function enginePaths(config: Config) {
  const root = path.join(dataDir(config), 'engine')
  return {
    root,
    downloads: path.join(root, 'downloads'),
    camundaHome: path.join(root, `camunda-zeebe-${CAMUNDA_VERSION}`),
    opensearchHome: path.join(root, `opensearch-${OPENSEARCH_VERSION}`),
    camundaConfig: path.join(root, 'camunda.yaml'),
    zeebeData: path.join(root, 'state', 'zeebe'),
    searchData: path.join(root, 'state', 'opensearch'),
    logs: path.join(root, 'logs'),
    camundaLog: path.join(root, 'logs', 'camunda.log'),
    searchLog: path.join(root, 'logs', 'opensearch.log'),
    camundaPid: path.join(root, 'camunda.pid'),
    searchPid: path.join(root, 'opensearch.pid'),
    bridgeLog: path.join(root, 'logs', 'tasklist-bridge.log'),
    bridgePid: path.join(root, 'tasklist-bridge.pid'),
  }
}

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

function javaMajor(home: string): number | undefined {
  const java = path.join(home, 'bin', 'java')
  if (!existsSync(java)) return undefined
  const out = spawnSync(java, ['-version'], { encoding: 'utf8' })
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
    const major = javaMajor(home)
    if (major !== undefined && !seen.has(major)) {
      seen.add(major)
      jdks.push({ home, major })
    }
  }
  return jdks.sort((a, b) => b.major - a.major)
}

/** The newest JDK within [min, max]; a clear error naming what was found when none fits. */
export async function findJava(config: Config, min: number, max: number, purpose: string): Promise<Jdk> {
  const jdks = await candidateJdks(config.JAVA_HOME)
  const fit = jdks.find((jdk) => jdk.major >= min && jdk.major <= max)
  if (fit) return fit
  const found = jdks.length ? jdks.map((j) => `Java ${j.major} at ${j.home}`).join(', ') : 'no JDK'
  const range = max >= 99 ? `${min} or newer` : `${min} to ${max}`
  throw new EngineError(
    `${purpose} needs Java ${range}; found ${found}. Install one (e.g. apt-get install openjdk-${min}-jdk-headless, or a Temurin JDK) and set JAVA_HOME to it.`,
  )
}

/** Checks that Maven runs; the engine is fetched through it. */
export function requireMaven(command = 'mvn'): void {
  const probe = spawnSync(command, ['--version'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) {
    throw new EngineError(`Maven (${command}) is not on the PATH; the engine is fetched through it. Install it (apt-get install maven).`)
  }
}

/** Runs Maven, showing its download progress; an unreachable Maven Central gets its own message. */
async function mvn(args: string[], cwd: string, say: Say, javaHome: string): Promise<void> {
  const output: string[] = []
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn('mvn', ['--no-transfer-progress', ...args], { cwd, env: { ...process.env, JAVA_HOME: javaHome } })
    const keep = (chunk: Buffer) => {
      output.push(chunk.toString())
      if (output.length > 400) output.shift()
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    child.on('error', reject)
    child.on('close', (status) => resolve(status ?? 1))
  })
  if (code === 0) return
  const text = output.join('')
  if (/Unknown host|UnknownHostException|Connection refused|Network is unreachable|timed out|Could not transfer/i.test(text)) {
    throw new EngineError(
      `Maven Central is unreachable (${args.find((a) => a.startsWith('-Dartifact=')) ?? args.join(' ')}). Check the network or a mirror in ~/.m2/settings.xml, then run npm run engine -- install again.\n${tail(text, 8)}`,
    )
  }
  say(`mvn ${args.join(' ')} failed`)
  throw new EngineError(`Maven failed:\n${tail(text, 20)}`)
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

/** Bytes so far in the local Maven repository folder of `group:artifact:version:type`. */
async function bytesInLocalRepository(coordinates: string): Promise<number> {
  const [group, artifact, version] = coordinates.split(':')
  const dir = path.join(os.homedir(), '.m2', 'repository', ...group.split('.'), artifact, version)
  try {
    let total = 0
    for (const name of await readdir(dir)) total += (await stat(path.join(dir, name))).size
    return total
  } catch {
    return 0
  }
}

async function fetchArtifact(coordinates: string, approxMiB: number, into: string, say: Say, javaHome: string): Promise<void> {
  await mkdir(into, { recursive: true })
  const started = Date.now()
  const ticker = setInterval(async () => {
    const MiB = Math.round((await bytesInLocalRepository(coordinates)) / 1048576)
    say(`  ${MiB} of about ${approxMiB} MiB fetched (${Math.round((Date.now() - started) / 1000)} s)`)
  }, 3000)
  try {
    await mvn(['-q', 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy', `-Dartifact=${coordinates}`, `-DoutputDirectory=${into}`], into, say, javaHome)
  } finally {
    clearInterval(ticker)
  }
}

/** Unpacks with tar (or unzip), printing progress by the number of files written. */
async function unpack(archive: string, into: string, say: Say): Promise<void> {
  await mkdir(into, { recursive: true })
  const size = (await stat(archive)).size
  say(`unpacking ${path.basename(archive)} (${Math.round(size / 1048576)} MiB)`)
  const [cmd, args] = archive.endsWith('.zip')
    ? ['unzip', ['-q', '-o', archive, '-d', into]]
    : ['tar', ['-xzf', archive, '-C', into, '--checkpoint=2000', '--checkpoint-action=echo=%u records']]
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(cmd, args as string[], { stdio: ['ignore', 'inherit', 'pipe'] })
    child.stderr.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        const records = /(\d+) records/.exec(line)
        if (records) say(`  ${Math.round((Number(records[1]) * 10240) / 1048576)} MiB unpacked`)
        else if (line.trim() && line.trim() !== 'tar:') say(line.trim())
      }
    })
    child.on('error', reject)
    child.on('close', (status) => resolve(status ?? 1))
  })
  if (code !== 0) throw new EngineError(`could not unpack ${archive}; delete it and install again`)
}

// ---------------------------------------------------------------- install

/** Fetches and unpacks the engine and its search node when missing; reuses them when present. */
export async function installEngine(config: Config, say: Say = defaultSay): Promise<void> {
  const paths = enginePaths(config)
  const camundaJava = await findJava(config, 21, 99, `Camunda ${CAMUNDA_VERSION}`)
  await findJava(config, 11, 23, `OpenSearch ${OPENSEARCH_VERSION}`)
  if (!existsSync(path.join(paths.camundaHome, 'bin', 'camunda'))) {
    requireMaven()
    say(`fetching io.camunda:camunda-zeebe:${CAMUNDA_VERSION}:tar.gz (about 300 MB) through Maven`)
    await fetchArtifact(`io.camunda:camunda-zeebe:${CAMUNDA_VERSION}:tar.gz`, 285, paths.downloads, say, camundaJava.home)
    await unpack(path.join(paths.downloads, `camunda-zeebe-${CAMUNDA_VERSION}.tar.gz`), paths.root, say)
  }
  if (!existsSync(path.join(paths.opensearchHome, 'modules', 'lang-painless', 'plugin-descriptor.properties'))) {
    requireMaven()
    say(`fetching org.opensearch.distribution.integ-test-zip:opensearch:${OPENSEARCH_VERSION}:zip (about 50 MB)`)
    await fetchArtifact(`org.opensearch.distribution.integ-test-zip:opensearch:${OPENSEARCH_VERSION}:zip`, 49, paths.downloads, say, camundaJava.home)
    await rm(paths.opensearchHome, { recursive: true, force: true })
    await unpack(path.join(paths.downloads, `opensearch-${OPENSEARCH_VERSION}.zip`), paths.root, say)
    await installSearchModules(paths.opensearchHome, paths.root, say, camundaJava.home)
  }
  for (const archive of [`camunda-zeebe-${CAMUNDA_VERSION}.tar.gz`, `opensearch-${OPENSEARCH_VERSION}.zip`]) {
    await rm(path.join(paths.downloads, archive), { force: true })
  }
}

const artifactOf = (jar: string) => jar.replace(/-\d[\w.-]*\.jar$/, '')

/** Adds each OpenSearch module: its jar and the dependencies OpenSearch does not ship already. */
async function installSearchModules(home: string, root: string, say: Say, javaHome: string): Promise<void> {
  const shipped = new Set((await readdir(path.join(home, 'lib'))).map(artifactOf))
  for (const mod of OPENSEARCH_MODULES) {
    say(`  adding OpenSearch module ${mod.name}`)
    const work = path.join(root, 'build', mod.name)
    await mkdir(work, { recursive: true })
    await writeFile(
      path.join(work, 'pom.xml'),
      `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>order-flow.engine</groupId><artifactId>opensearch-module-${mod.name}</artifactId><version>1</version><packaging>pom</packaging>
<dependencies><dependency><groupId>org.opensearch.plugin</groupId><artifactId>${mod.artifact}</artifactId><version>${OPENSEARCH_VERSION}</version></dependency></dependencies>
</project>\n`,
    )
    await mvn(['-q', 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies', '-DincludeScope=runtime', '-DoutputDirectory=jars'], work, say, javaHome)
    const target = path.join(home, 'modules', mod.name)
    await mkdir(target, { recursive: true })
    const extendedJars = mod.extended ? new Set((await readdir(path.join(home, 'modules', mod.extended))).map(artifactOf)) : new Set<string>()
    for (const jar of await readdir(path.join(work, 'jars'))) {
      const artifact = artifactOf(jar)
      if (shipped.has(artifact) || extendedJars.has(artifact)) continue
      await writeFile(path.join(target, jar), await readFile(path.join(work, 'jars', jar)))
    }
    await writeFile(
      path.join(target, 'plugin-descriptor.properties'),
      [
        `description=${mod.name} module`,
        `version=${OPENSEARCH_VERSION}`,
        `name=${mod.name}`,
        `classname=${mod.classname}`,
        'java.version=11',
        `opensearch.version=${OPENSEARCH_VERSION}`,
        'custom.foldername=',
        `extended.plugins=${mod.extended}`,
        'has.native.controller=false',
        '',
      ].join('\n'),
    )
    const policy = MODULE_POLICIES[mod.name]
    if (policy) await writeFile(path.join(target, 'plugin-security.policy'), policy)
  }
  await rm(path.join(root, 'build'), { recursive: true, force: true })
}

// ---------------------------------------------------------------- configuration

/**
 * The engine configuration. Written as JSON, which Spring reads as YAML: the web apps share one
 * block, and comments live here rather than in the generated file.
 */
function camundaYaml(config: Config, paths: ReturnType<typeof enginePaths>): string {
  const search = `http://127.0.0.1:${ports.search}`
  const webapp = {
    database: 'opensearch',
    // The archiver needs OpenSearch's index-management plugin, which Maven Central does not carry.
    archiverEnabled: false,
    // The session cookie is only served to 127.0.0.1; the REST clients send no CSRF token.
    csrfPreventionEnabled: false,
    importer: { readerBackoff: 500, schedulerBackoff: 500 },
    opensearch: { url: search },
    zeebeOpensearch: { url: search, prefix: 'zeebe-record' },
    zeebe: { gatewayAddress: `127.0.0.1:${ports.grpc}` },
  }
  const settings = {
    server: { address: '127.0.0.1', port: ports.rest },
    management: { server: { address: '127.0.0.1', port: ports.management } },
    zeebe: {
      clock: { controlled: config.ENGINE_CLOCK_CONTROLLED },
      broker: {
        gateway: { enable: true, network: { host: '127.0.0.1', port: ports.grpc } },
        network: { host: '127.0.0.1', commandApi: { port: ports.commandApi }, internalApi: { port: ports.internalApi } },
        data: {
          directory: paths.zeebeData,
          snapshotPeriod: '5m',
          disk: { freeSpace: { processing: '1GB', replication: '512MB' } },
        },
        // Two partitions, so that message correlation crosses partitions as in production.
        cluster: { clusterSize: 1, replicationFactor: 1, partitionsCount: 2 },
        threads: { cpuThreadCount: 2, ioThreadCount: 2 },
        exporters: {
          opensearch: {
            className: 'io.camunda.zeebe.exporter.opensearch.OpensearchExporter',
            args: { url: search, bulk: { delay: 1, size: 1 }, index: { prefix: 'zeebe-record' } },
          },
        },
      },
    },
    camunda: {
      rest: { query: { enabled: true } },
      database: { type: 'opensearch', url: search },
      operate: webapp,
      // Tasklist claims and completes user tasks through the bridge (lib/tasklist-bridge.ts): 8.6.0's
      // own REST call carries no session and is refused (camunda/camunda#21818).
      tasklist: { ...webapp, zeebe: { ...webapp.zeebe, restAddress: `http://127.0.0.1:${ports.tasklistBridge}` } },
    },
  }
  return `${JSON.stringify(settings, null, 2)}\n`
}

function opensearchYaml(paths: ReturnType<typeof enginePaths>): string {
  return `# Written by order-flow (lib/engine.ts) at every start.
cluster.name: order-flow
node.name: order-flow-search
network.host: 127.0.0.1
http.port: ${ports.search}
transport.port: ${ports.searchTransport}
discovery.type: single-node
path.data: ${path.join(paths.searchData, 'data')}
path.logs: ${path.join(paths.searchData, 'logs')}
action.auto_create_index: true
cluster.routing.allocation.disk.threshold_enabled: false
`
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

export async function requirePortsFree(list: number[]): Promise<void> {
  const taken: number[] = []
  for (const port of list) if (!(await portFree(port))) taken.push(port)
  if (taken.length) {
    throw new EngineError(
      `port${taken.length > 1 ? 's' : ''} ${taken.join(', ')} already taken by another program (see: ss -ltnp | grep -E ':(${taken.join('|')})\\b'); stop it, then start the engine again.`,
    )
  }
}

async function httpOk(url: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
    return response.ok
  } catch {
    return false
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

async function waitFor(what: string, check: () => Promise<boolean>, alive: () => Promise<boolean>, log: string, timeoutMs: number, say: Say) {
  const started = Date.now()
  let lastSaid = started
  while (!(await check())) {
    if (!(await alive())) throw new EngineError(`${what} stopped while starting. Last lines of ${log}:\n${await logTail(log)}`)
    if (Date.now() - started > timeoutMs) {
      throw new EngineError(`${what} not ready after ${timeoutMs / 1000} s. Last lines of ${log}:\n${await logTail(log)}`)
    }
    if (Date.now() - lastSaid > 10000) {
      say(`  waiting for ${what} (${Math.round((Date.now() - started) / 1000)} s)`)
      lastSaid = Date.now()
    }
    await sleep(500)
  }
  return Date.now() - started
}

/** Spawns a detached process with output appended to `log`; returns its pid. */
async function launch(command: string, args: string[], env: NodeJS.ProcessEnv, log: string, pidFile: string, cwd?: string): Promise<number> {
  await mkdir(path.dirname(log), { recursive: true })
  const out = await open(log, 'a')
  const child = spawn(command, args, { env, cwd, detached: true, stdio: ['ignore', out.fd, out.fd] })
  await out.close()
  if (!child.pid) throw new EngineError(`could not start ${command}`)
  child.unref()
  await writeFile(pidFile, `${child.pid}\n`)
  return child.pid
}

const searchHealthUrl = `http://127.0.0.1:${ports.search}/_cluster/health?wait_for_status=yellow&timeout=1s`

export interface EngineStatus {
  search: { pid?: number; healthy: boolean }
  camunda: { pid?: number; healthy: boolean; topology: boolean }
}

/** Which engine processes run, and whether they answer. */
export async function engineStatus(config: Config): Promise<EngineStatus> {
  const paths = enginePaths(config)
  return {
    search: { pid: await readPid(paths.searchPid), healthy: await httpOk(searchHealthUrl) },
    camunda: {
      pid: await readPid(paths.camundaPid),
      healthy: await httpOk(`http://127.0.0.1:${ports.management}/actuator/health`),
      topology: await topologyHealthy(config),
    },
  }
}

/** True when the REST topology shows every partition of the broker healthy. */
export async function topologyHealthy(config: Config): Promise<boolean> {
  try {
    const topology = await createEngineRest(config).get<{ brokers?: { partitions?: { health?: string }[] }[]; partitionsCount?: number }>(
      '/v2/topology',
    )
    const partitions = topology.brokers?.flatMap((broker) => broker.partitions ?? []) ?? []
    return partitions.length === topology.partitionsCount && partitions.every((p) => p.health === 'healthy')
  } catch {
    return false
  }
}

async function runAsUnprivileged(paths: ReturnType<typeof enginePaths>): Promise<string[]> {
  // OpenSearch refuses to run as root: as root, run it as nobody and let nobody own its files.
  if (process.getuid?.() !== 0) return []
  for (const dir of [paths.opensearchHome, paths.searchData]) {
    spawnSync('chown', ['-R', '65534:65534', dir])
  }
  await chown(paths.searchData, 65534, 65534)
  // nobody must be able to reach its folders: a checkout below a private folder (mode 700)
  // gets search permission for others on each ancestor that lacks it.
  for (let dir = path.dirname(paths.root); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const mode = (await stat(dir)).mode
    if ((mode & 0o001) === 0) await chmod(dir, mode | 0o001)
  }
  return ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']
}

/**
 * Starts the search node and the engine unless they already run, and waits until the engine's
 * management health is UP and the REST topology shows every partition healthy.
 * Returns the milliseconds each part took.
 */
export async function startEngine(config: Config, say: Say = defaultSay): Promise<{ searchMs: number; camundaMs: number }> {
  const paths = enginePaths(config)
  await installEngine(config, say)
  const status = await engineStatus(config)
  let searchMs = 0
  let camundaMs = 0

  if (!status.search.pid) {
    await requirePortsFree([ports.search, ports.searchTransport])
    const jdk = await findJava(config, 11, 23, `OpenSearch ${OPENSEARCH_VERSION}`)
    await mkdir(path.join(paths.searchData, 'data'), { recursive: true })
    await mkdir(path.join(paths.searchData, 'logs'), { recursive: true })
    await writeFile(path.join(paths.opensearchHome, 'config', 'opensearch.yml'), opensearchYaml(paths))
    const prefix = await runAsUnprivileged(paths)
    const env = {
      ...process.env,
      OPENSEARCH_JAVA_HOME: jdk.home,
      OPENSEARCH_JAVA_OPTS: `-Xms${config.SEARCH_HEAP_MB}m -Xmx${config.SEARCH_HEAP_MB}m`,
    }
    const command = [...prefix, path.join(paths.opensearchHome, 'bin', 'opensearch')]
    say(`starting OpenSearch ${OPENSEARCH_VERSION} (Java ${jdk.major}, heap ${config.SEARCH_HEAP_MB} MiB)`)
    await launch(command[0], command.slice(1), env, paths.searchLog, paths.searchPid)
  }
  searchMs = await waitFor('OpenSearch', () => httpOk(searchHealthUrl), async () => !!(await readPid(paths.searchPid)), paths.searchLog, 180000, say)

  if (!status.camunda.pid) {
    await requirePortsFree([ports.grpc, ports.commandApi, ports.internalApi, ports.rest, ports.management])
    const jdk = await findJava(config, 21, 99, `Camunda ${CAMUNDA_VERSION}`)
    await mkdir(paths.zeebeData, { recursive: true })
    await writeFile(paths.camundaConfig, camundaYaml(config, paths))
    // Before Tasklist starts: its list view must take whole-second times (camunda/camunda#27237).
    const schemaJar = path.join(paths.camundaHome, 'lib', `tasklist-els-schema-${CAMUNDA_VERSION}.jar`)
    try {
      await widenTasklistDates(`http://127.0.0.1:${ports.search}`, readListViewMapping(schemaJar), say)
    } catch (error) {
      say(`warning: Tasklist's list view keeps its narrow date formats, so its importer may stop (camunda/camunda#27237): ${(error as Error).message}`)
    }
    const env = {
      ...process.env,
      JAVA_HOME: jdk.home,
      JAVA_OPTS: `-Xms256m -Xmx${config.ENGINE_HEAP_MB}m -XX:+UseSerialGC -XX:MaxDirectMemorySize=512m -Duser.timezone=UTC`,
      SPRING_CONFIG_ADDITIONAL_LOCATION: `file:${paths.camundaConfig}`,
    }
    say(`starting Camunda ${CAMUNDA_VERSION} (Java ${jdk.major}, heap ${config.ENGINE_HEAP_MB} MiB, clock ${config.ENGINE_CLOCK_CONTROLLED ? 'controlled' : 'real'})`)
    await launch(path.join(paths.camundaHome, 'bin', 'camunda'), [], env, paths.camundaLog, paths.camundaPid)
  }
  const alive = async () => !!(await readPid(paths.camundaPid))
  camundaMs = await waitFor(
    'Camunda',
    async () => (await httpOk(`http://127.0.0.1:${ports.management}/actuator/health`)) && (await topologyHealthy(config)),
    alive,
    paths.camundaLog,
    300000,
    say,
  )
  await startTasklistBridge(paths, say)
  say(`ready: REST and web apps on ${config.CAMUNDA_REST_ADDRESS}, gRPC on ${config.CAMUNDA_GRPC_ADDRESS}`)
  return { searchMs, camundaMs }
}

/** Starts the Tasklist bridge (a Node process of its own, like the engine) unless it runs. */
async function startTasklistBridge(paths: ReturnType<typeof enginePaths>, say: Say): Promise<void> {
  if (await readPid(paths.bridgePid)) return
  await requirePortsFree([ports.tasklistBridge])
  const script = path.join(projectRoot, 'scripts', 'tasklist-bridge.ts')
  await launch(process.execPath, ['--import', 'tsx', script], { ...process.env }, paths.bridgeLog, paths.bridgePid, projectRoot)
  await waitFor('the Tasklist bridge', async () => !(await portFree(ports.tasklistBridge)), async () => !!(await readPid(paths.bridgePid)), paths.bridgeLog, 30000, say)
}

async function stopPid(name: string, pidFile: string, say: Say, graceMs = 60000): Promise<void> {
  const pid = await readPid(pidFile)
  if (!pid) {
    await rm(pidFile, { force: true })
    return
  }
  say(`stopping ${name} (pid ${pid})`)
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0)
    } catch {
      await rm(pidFile, { force: true })
      return
    }
    await sleep(250)
  }
  say(`${name} did not stop within ${graceMs / 1000} s; killing it`)
  process.kill(pid, 'SIGKILL')
  await rm(pidFile, { force: true })
}

/**
 * Stops Camunda alone — gracefully (SIGTERM) or as a crash (`hard`: SIGKILL) — and starts it
 * again on the same data, its search node left running: the engine restarts of `npm run chaos`.
 * Returns the milliseconds it was away.
 */
export async function restartCamunda(config: Config, options: { hard?: boolean } = {}, say: Say = defaultSay): Promise<number> {
  const paths = enginePaths(config)
  const stopped = Date.now()
  const pid = await readPid(paths.camundaPid)
  if (pid && options.hard) {
    say(`killing Camunda (pid ${pid}, SIGKILL)`)
    process.kill(pid, 'SIGKILL')
    const gone = Date.now() + 30000
    while ((await readPid(paths.camundaPid)) && Date.now() < gone) await sleep(100)
    await rm(paths.camundaPid, { force: true })
  } else {
    await stopPid('Camunda', paths.camundaPid, say)
  }
  await startEngine(config, say)
  return Date.now() - stopped
}

/** Stops the engine, then its search node; waits until both processes are gone. */
export async function stopEngine(config: Config, say: Say = defaultSay): Promise<void> {
  const paths = enginePaths(config)
  await stopPid('Camunda', paths.camundaPid, say)
  await stopPid('OpenSearch', paths.searchPid, say)
  await stopPid('the Tasklist bridge', paths.bridgePid, say, 10000)
}

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
