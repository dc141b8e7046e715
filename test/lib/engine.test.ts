import net from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadConfig } from '../../lib/config.ts'
import { CAMUNDA_VERSION, EngineError, engineStatus, findJava, requireMaven, requirePortsFree, residentKiB } from '../../lib/engine.ts'
import { config } from '../helpers.ts'

test('the engine runs, with its search node, and reports its memory', async () => {
  const status = await engineStatus(config)
  assert.ok(status.camunda.pid && status.camunda.healthy && status.camunda.topology, 'Camunda healthy with every partition')
  assert.ok(status.search.pid && status.search.healthy, 'OpenSearch healthy')
  assert.ok(((await residentKiB(status.camunda.pid!)) ?? 0) > 100 * 1024, 'Camunda resident memory is read from /proc')
})

test('a Java that fits is found under /usr/lib/jvm', async () => {
  const jdk = await findJava(loadConfig({}, '/nonexistent'), 21, 99, `Camunda ${CAMUNDA_VERSION}`)
  assert.ok(jdk.major >= 21)
})

test('no fitting Java gets one message saying what was found and how to fix it', async () => {
  try {
    await findJava(loadConfig({ JAVA_HOME: '/nonexistent/jdk' }, '/nonexistent'), 98, 99, 'Camunda 9')
    assert.unreachable('found a Java 98')
  } catch (error) {
    assert.instance(error, EngineError)
    const message = (error as Error).message
    assert.match(message, /^Camunda 9 needs Java 98 or newer; found Java \d+ at \/usr\/lib\/jvm\//)
    assert.match(message, 'set JAVA_HOME')
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

test('no Maven gets a message saying so and how to install it', () => {
  assert.not.throws(() => requireMaven())
  assert.throws(() => requireMaven('mvn-not-installed'), /Maven \(mvn-not-installed\) is not on the PATH; the engine is fetched through it\. Install it \(apt-get install maven\)\./)
})

test.run()
