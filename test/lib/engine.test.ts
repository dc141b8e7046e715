import net from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadConfig } from '../../lib/config.ts'
import { EngineError, OPERATON_VERSION, engineDatabase, engineStatus, findJava, requireMaven, requirePortsFree, residentKiB, startEngine, stopEngine } from '../../lib/engine.ts'
import { createEngineRest, EngineRestError } from '../../lib/engine-rest.ts'
import { config } from '../helpers.ts'

test('the engine runs Operaton and reports its memory', async () => {
  const status = await engineStatus(config)
  assert.ok(status.ready, 'the engine answers')
  assert.is(status.version, OPERATON_VERSION)
  if (status.pid) assert.ok(((await residentKiB(status.pid)) ?? 0) > 100 * 1024, 'resident memory is read from /proc')
})

test('the engine REST API refuses an anonymous call and a wrong password with 401', async () => {
  const anonymous = await fetch(`${config.ENGINE_URL}/engine-rest/process-definition`)
  assert.is(anonymous.status, 401)
  try {
    await createEngineRest(config, { user: config.ENGINE_ADMIN_USER, password: `${config.ENGINE_ADMIN_PASSWORD}-wrong` }).get('/process-definition')
    assert.unreachable('a wrong password was accepted')
  } catch (error) {
    assert.instance(error, EngineRestError)
    assert.is((error as EngineRestError).status, 401)
  }
})

test('a Java 17+ is found under /usr/lib/jvm', async () => {
  const jdk = await findJava(loadConfig({}, '/nonexistent'))
  assert.ok(jdk.major >= 17)
})

test('a JAVA_HOME without Java, or too old, gets one message saying what to do', async () => {
  try {
    await findJava(loadConfig({ JAVA_HOME: '/nonexistent/jdk' }, '/nonexistent'))
    assert.unreachable('found a Java')
  } catch (error) {
    assert.instance(error, EngineError)
    assert.match((error as Error).message, 'JAVA_HOME=/nonexistent/jdk has no working bin/java')
  }
  try {
    await findJava(loadConfig({}, '/nonexistent'), 98)
    assert.unreachable('found a Java 98')
  } catch (error) {
    assert.instance(error, EngineError)
    assert.match((error as Error).message, /^the engine needs Java 98 or newer; found Java \d+ at /)
    assert.match((error as Error).message, 'set JAVA_HOME')
  }
})

test('a port already taken is named', async () => {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  try {
    await requirePortsFree([port])
    assert.unreachable('port reported free')
  } catch (error) {
    assert.instance(error, EngineError)
    assert.match((error as Error).message, `port ${port} already taken by another program`)
  } finally {
    server.close()
  }
})

test('starting a second engine on a taken port is refused naming the port', async () => {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  const other = loadConfig({ ...process.env, ENGINE_URL: `http://127.0.0.1:${port}`, DATA_DIR: `/tmp/order-flow-port-test-${process.pid}` })
  try {
    await startEngine(other, () => {})
    assert.unreachable('started on a taken port')
  } catch (error) {
    assert.instance(error, EngineError)
    assert.match((error as Error).message, `port ${port} already taken`)
  } finally {
    server.close()
  }
})

test('no Maven gets a message saying so and how to install it', () => {
  assert.not.throws(() => requireMaven())
  assert.throws(() => requireMaven('mvn-not-installed'), /Maven \(mvn-not-installed\) is not on the PATH; the engine is built with it\. Install it \(apt-get install maven\)\./)
})

test('an unreachable engine PostgreSQL gets one message naming the variable and the fix', async () => {
  const unreachable = loadConfig({ ...process.env, ENGINE_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/order_flow_engine' })
  try {
    await engineDatabase(unreachable)
    assert.unreachable('an unreachable PostgreSQL was accepted')
  } catch (error) {
    assert.instance(error, EngineError)
    assert.match((error as Error).message, "the engine's PostgreSQL (ENGINE_DATABASE_URL, 127.0.0.1:1) is unreachable")
    assert.match((error as Error).message, 'Start PostgreSQL')
  }
})

/** A port nobody listens on now. */
async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

test('an engine on H2 starts, and a second engine on the same H2 file is refused naming the lock', async () => {
  const folder = `/tmp/order-flow-h2-lock-${process.pid}`
  const first = loadConfig({ ...process.env, DATA_DIR: folder, ENGINE_URL: `http://127.0.0.1:${await freePort()}`, ENGINE_DATABASE_URL: 'h2:engine/h2/operaton' })
  const second = loadConfig({
    ...process.env,
    DATA_DIR: `${folder}-second`,
    ENGINE_URL: `http://127.0.0.1:${await freePort()}`,
    ENGINE_DATABASE_URL: `h2:${folder}/engine/h2/operaton`,
  })
  try {
    await startEngine(first, () => {})
    assert.ok((await engineStatus(first)).ready, 'the engine on H2 answers')
    try {
      await startEngine(second, () => {})
      assert.unreachable('a second engine opened a locked H2 file')
    } catch (error) {
      assert.instance(error, EngineError)
      assert.match((error as Error).message, `the H2 file ${folder}/engine/h2/operaton.mv.db is locked by another engine`)
    }
  } finally {
    await stopEngine(second, () => {})
    await stopEngine(first, () => {})
  }
})

test('the H2 default lives in the data folder', async () => {
  const h2 = await engineDatabase(loadConfig({ DATA_DIR: '/tmp/order-flow-h2-test' }, '/nonexistent'))
  assert.is(h2.jdbcUrl, 'jdbc:h2:file:/tmp/order-flow-h2-test/engine/h2/operaton;DB_CLOSE_ON_EXIT=FALSE')
})

test.run()
