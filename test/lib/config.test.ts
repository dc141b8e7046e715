import { spawnSync } from 'node:child_process'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ConfigError, engineNodeUrls, loadConfig, projectRoot } from '../../lib/config.ts'

const noFile = '/nonexistent/.env'

test('defaults fill every variable that has one', () => {
  const config = loadConfig({}, noFile)
  assert.is(config.WORKER_MAX_JOBS_ACTIVE, 16)
  assert.is(config.ENGINE_URL, 'http://127.0.0.1:8080')
  assert.is(config.ENGINE_DATABASE_URL, 'h2:engine/h2/operaton')
  assert.is(config.ENGINE_WORKER_USER, 'order-flow-worker')
  assert.is(config.JAVA_HOME, undefined)
})

test('values from the environment are coerced to their declared types', () => {
  const config = loadConfig({ WORKER_MAX_JOBS_ACTIVE: '4', ENGINE_HEAP_MB: '768' }, noFile)
  assert.is(config.WORKER_MAX_JOBS_ACTIVE, 4)
  assert.is(config.ENGINE_HEAP_MB, 768)
})

test('each bad variable is named with what was expected', () => {
  try {
    loadConfig({ WORKER_MAX_JOBS_ACTIVE: '0', DATABASE_URL: 'mysql://x/y', ENGINE_DATABASE_URL: 'mysql://x/y', ENGINE_URL: 'engine:8080/engine-rest' }, noFile)
    assert.unreachable('loadConfig accepted bad values')
  } catch (error) {
    assert.instance(error, ConfigError)
    const problems = (error as ConfigError).problems
    assert.equal(problems.length, 4)
    assert.ok(problems.some((p) => p.startsWith('WORKER_MAX_JOBS_ACTIVE: expected an integer from 1 to 1024, got "0"')))
    assert.ok(problems.some((p) => p.startsWith('DATABASE_URL: expected a value matching')))
    assert.ok(problems.some((p) => p.startsWith('ENGINE_DATABASE_URL: expected a value matching') && p.endsWith('got "mysql://x/y"')))
    assert.ok(problems.some((p) => p.startsWith('ENGINE_URL: expected a value matching')))
  }
})

test('a cluster of engine nodes is on consecutive ports, needs PostgreSQL and stays below port 65536', () => {
  const cluster = loadConfig({ ENGINE_NODES: '3', ENGINE_URL: 'http://127.0.0.1:9080', ENGINE_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/engine' }, noFile)
  assert.equal(engineNodeUrls(cluster), ['http://127.0.0.1:9080', 'http://127.0.0.1:9081', 'http://127.0.0.1:9082'])
  assert.equal(engineNodeUrls(loadConfig({}, noFile)), ['http://127.0.0.1:8080'])
  const problem = (env: NodeJS.ProcessEnv) => {
    try {
      loadConfig(env, noFile)
    } catch (error) {
      assert.instance(error, ConfigError)
      return (error as ConfigError).problems.join('\n')
    }
    assert.unreachable('loadConfig accepted it')
  }
  assert.match(problem({ ENGINE_NODES: '2' })!, 'ENGINE_NODES: 2 engine nodes share one database, which must be PostgreSQL; ENGINE_DATABASE_URL is the H2 file "h2:engine/h2/operaton"')
  assert.match(problem({ ENGINE_NODES: '2', ENGINE_URL: 'http://127.0.0.1:65535', ENGINE_DATABASE_URL: 'postgres://x@h/e' })!, 'run past port 65535')
  assert.match(problem({ ENGINE_NODES: '9' })!, 'ENGINE_NODES: expected an integer from 1 to 8, got "9"')
})

test('invalid configuration stops start-up with a message naming the variable', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/engine.ts', 'status'], {
    cwd: projectRoot,
    env: { ...process.env, ENGINE_HEAP_MB: 'lots' },
    encoding: 'utf8',
  })
  assert.is(run.status, 2)
  assert.match(run.stderr, 'ENGINE_HEAP_MB: expected an integer from 256 to 16384, got "lots"')
  assert.not.match(run.stdout, 'engine:')
})

test('live outside services without their URLs stop the workers before they start, naming each variable', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/workers.ts'], {
    cwd: projectRoot,
    env: { ...process.env, OUTSIDE_SERVICES_MODE: 'live', CARRIER_API_URL: '', PAYMENT_API_URL: '', NOTIFY_WEBHOOK_URL: '' },
    encoding: 'utf8',
    timeout: 30000,
  })
  assert.is(run.status, 2)
  assert.match(run.stderr, 'CARRIER_API_URL')
  assert.match(run.stderr, 'PAYMENT_API_URL')
  assert.match(run.stderr, 'NOTIFY_WEBHOOK_URL')
  assert.not.match(run.stdout, 'worker started')
})

test.run()
