/**
 * npm run engine -- install | start | stop | status | logs [-f] [search]
 * Manages the local Camunda engine and its OpenSearch node (lib/engine.ts).
 */
import { withConfig } from '../lib/config.ts'
import {
  CAMUNDA_VERSION,
  EngineError,
  OPENSEARCH_VERSION,
  engineStatus,
  enginePaths,
  followLog,
  installEngine,
  logTail,
  residentKiB,
  startEngine,
  stopEngine,
} from '../lib/engine.ts'

const [command = 'status', ...rest] = process.argv.slice(2)

await withConfig(async (config) => {
  try {
    switch (command) {
      case 'install':
        await installEngine(config)
        console.log(`Camunda ${CAMUNDA_VERSION} and OpenSearch ${OPENSEARCH_VERSION} are installed in ${enginePaths(config).root}`)
        break
      case 'start': {
        const { searchMs, camundaMs } = await startEngine(config)
        console.log(`OpenSearch ready in ${(searchMs / 1000).toFixed(1)} s, Camunda in ${(camundaMs / 1000).toFixed(1)} s`)
        break
      }
      case 'stop':
        await stopEngine(config)
        break
      case 'status': {
        const status = await engineStatus(config)
        const mem = async (pid?: number) => (pid ? `${Math.round(((await residentKiB(pid)) ?? 0) / 1024)} MiB resident` : '')
        console.log(`OpenSearch: ${status.search.pid ? `pid ${status.search.pid}` : 'not running'}, ${status.search.healthy ? 'healthy' : 'not answering'} ${await mem(status.search.pid)}`)
        console.log(
          `Camunda:    ${status.camunda.pid ? `pid ${status.camunda.pid}` : 'not running'}, ${status.camunda.healthy ? 'healthy' : 'not answering'}, topology ${status.camunda.topology ? 'healthy' : 'not ready'} ${await mem(status.camunda.pid)}`,
        )
        process.exitCode = status.camunda.topology && status.search.healthy ? 0 : 1
        break
      }
      case 'logs': {
        const paths = enginePaths(config)
        const file = rest.includes('search') ? paths.searchLog : paths.camundaLog
        if (rest.includes('-f')) {
          const stop = followLog(file)
          process.once('SIGINT', stop)
        } else {
          console.log(await logTail(file, 100))
        }
        break
      }
      default:
        console.error(`unknown command "${command}"; use install, start, stop, status or logs [-f] [search]`)
        process.exitCode = 2
    }
  } catch (error) {
    if (!(error instanceof EngineError)) throw error
    console.error(`engine: ${error.message}`)
    process.exitCode = 1
  }
})
