/**
 * npm run engine -- install | start [--node N] | stop [--node N] | status | logs [-f] [--node N]
 * Builds, starts, stops and inspects the local Operaton engine (lib/engine.ts): every node of the
 * cluster (ENGINE_NODES), or node N alone.
 */
import { withConfig } from '../lib/config.ts'
import { EngineError, OPERATON_VERSION, clusterStatus, engineJarMiB, enginePaths, followLog, installEngine, logTail, startEngine, startNode, stopEngine } from '../lib/engine.ts'

const [command = 'status', ...rest] = process.argv.slice(2)

await withConfig(async (config) => {
  const nodeFlag = rest.indexOf('--node')
  const node = nodeFlag >= 0 ? Number(rest[nodeFlag + 1]) : undefined
  if (node !== undefined && !(Number.isInteger(node) && node >= 1 && node <= config.ENGINE_NODES)) {
    console.error(`--node expects a node number from 1 to ${config.ENGINE_NODES} (ENGINE_NODES), got "${rest[nodeFlag + 1] ?? ''}"`)
    process.exitCode = 2
    return
  }
  try {
    switch (command) {
      case 'install': {
        const { built } = await installEngine(config, undefined, { tests: rest.includes('--tests') })
        console.log(`Operaton ${OPERATON_VERSION} engine ${built ? 'built' : 'already built'}: ${enginePaths(config).jar} (${await engineJarMiB(config)} MiB)`)
        break
      }
      case 'start':
        if (node) {
          await installEngine(config)
          await startNode(config, node)
        } else await startEngine(config)
        break
      case 'stop':
        await stopEngine(config, undefined, { node })
        break
      case 'status': {
        const nodes = await clusterStatus(config)
        for (const status of nodes) {
          const memory = status.residentKiB ? `, ${Math.round(status.residentKiB / 1024)} MiB resident` : ''
          console.log(
            `${nodes.length > 1 ? `engine node ${status.node}` : 'engine'}: ${status.pid ? `pid ${status.pid}` : 'not running'}${status.ready ? `, answering on ${status.url} (Operaton ${status.version})` : `, not answering on ${status.url}`}${memory}`,
          )
        }
        process.exitCode = nodes.every((status) => status.ready) ? 0 : 1
        break
      }
      case 'logs': {
        const file = enginePaths(config, node).log
        if (rest.includes('-f')) {
          const stop = followLog(file)
          process.once('SIGINT', stop)
        } else {
          console.log(await logTail(file, 100))
        }
        break
      }
      default:
        console.error(`unknown command "${command}"; use install [--tests], start [--node N], stop [--node N], status or logs [-f] [--node N]`)
        process.exitCode = 2
    }
  } catch (error) {
    if (!(error instanceof EngineError)) throw error
    console.error(`engine: ${error.message}`)
    process.exitCode = 1
  }
})
