/**
 * npm test — unit and integration tests. Builds the engine and runs its own unit tests (Maven),
 * starts the engine on PostgreSQL (a fresh database of its own) unless one runs already, creates
 * an order database of its own, migrates it, deploys every resource, sets up the engine's users,
 * runs every test/**\/*.test.ts with uvu, drops the order database, and ends with
 * `N passed, N failed`.
 */
import { spawn } from 'node:child_process'
import { loadConfig, projectRoot } from '../lib/config.ts'
import { dropDatabase, ensureDatabase, createDb, migrateLatest, scratchDatabaseUrl } from '../lib/db.ts'
import { deployAll } from '../lib/deploy.ts'
import { EngineError, engineStatus, installEngine, startEngine, stopEngine } from '../lib/engine.ts'
import { ensureIdentity } from '../lib/identity.ts'

const base = loadConfig()
const say = (line: string) => process.stdout.write(`[test] ${line}\n`)
const stamp = Date.now()
const testDatabase = `order_flow_test_${stamp}`
// The tests run on PostgreSQL (the local server unless DATABASE_URL names another); the API suite adds a PGlite pass of its own.
const databaseUrl = scratchDatabaseUrl(base.DATABASE_URL, testDatabase)
const reuseEngine = (await engineStatus(base)).ready
// The engine on PostgreSQL too, in a database of its own that each run starts afresh.
const engineDatabaseUrl = reuseEngine ? base.ENGINE_DATABASE_URL : scratchDatabaseUrl(base.DATABASE_URL, `order_flow_engine_test_${stamp}`)
const testEnv = { ...process.env, DATABASE_URL: databaseUrl, ENGINE_DATABASE_URL: engineDatabaseUrl, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }
const config = loadConfig(testEnv)

/** Counts of one pass of a test runner. */
interface Counts {
  passed: number
  failed: number
  skipped: number
}

/** The engine's own unit tests (JUnit, through Maven), which also build the jar. */
async function engineUnitTests(): Promise<Counts> {
  try {
    const { output } = await installEngine(config, say, { tests: true })
    const runs = [...output.matchAll(/Tests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: (\d+)(?!,)/g)].at(-1)
    if (!runs) return { passed: 0, failed: 0, skipped: 0 }
    const [total, failures, errors, skipped] = runs.slice(1).map(Number)
    return { passed: total - failures - errors - skipped, failed: failures + errors, skipped }
  } catch (error) {
    if (!(error instanceof EngineError)) throw error
    console.error(error.message)
    const runs = [...error.message.matchAll(/Tests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: (\d+)/g)].at(-1)
    const failed = runs ? Number(runs[2]) + Number(runs[3]) : 1
    console.log(`engine: ${failed} failed`)
    console.log(`0 passed, ${failed} failed`)
    process.exit(1)
  }
}

const engineTests = await engineUnitTests()
say(`engine unit tests: ${engineTests.passed} passed, ${engineTests.failed} failed`)
if (reuseEngine) say('reusing the running engine')
else await startEngine(config)

await ensureDatabase(databaseUrl)
const db = createDb(databaseUrl)
await migrateLatest(db)
await db.destroy()
await deployAll(config)
await ensureIdentity(config)
say(`database ${testDatabase} migrated, resources deployed, engine users set up`)

/** Runs one uvu pass and returns its exit code and output. */
function runPass(args: string[]): Promise<{ code: number; text: string }> {
  const output: string[] = []
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', 'test', ...args], {
      cwd: projectRoot,
      env: testEnv,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let lingering: NodeJS.Timeout | undefined
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk)
      output.push(chunk.toString())
      // After the summary, a test run that does not exit has left a handle open: report, do not hang.
      if (!lingering && /Duration:/.test(chunk.toString())) {
        lingering = setTimeout(() => {
          say('the test process did not exit 60 s after its summary (a test left a handle open); stopping it')
          child.kill('SIGKILL')
        }, 60000)
      }
    })
    child.on('close', (status, signal) => {
      clearTimeout(lingering)
      resolve({ code: signal ? 1 : (status ?? 1), text: output.join('').replace(/\x1b\[[0-9;]*m/g, '') })
    })
  })
}

/** The chaos run restarts the engine and stops PostgreSQL: alone in a pass, so no other suite sees its faults. */
const chaosSuites = 'scripts/chaos\\.test\\.ts$'
const passes = [await runPass(['\\.test\\.ts$', '--ignore', chaosSuites]), await runPass([chaosSuites])]

await dropDatabase(databaseUrl)
if (!reuseEngine && !process.env.KEEP_ENGINE) {
  await stopEngine(config)
  await dropDatabase(engineDatabaseUrl)
}

let { passed, failed, skipped } = engineTests
for (const { code, text } of passes) {
  const count = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(text)?.[1] ?? 0)
  const total = count('Total')
  passed += count('Passed')
  skipped += count('Skipped')
  // A pass that exits non-zero with every counted test green stopped early (a crash): one failure.
  failed += total - count('Passed') - count('Skipped') + (code !== 0 && total === count('Passed') + count('Skipped') ? 1 : 0)
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed > 0 || passes.some((pass) => pass.code !== 0) ? 1 : 0)
