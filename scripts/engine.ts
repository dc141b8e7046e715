/**
 * npm run engine -- install | start | stop | status | logs [-f]
 * Builds, starts, stops and inspects the local Operaton engine (lib/engine.ts).
 */
import { withConfig } from '../lib/config.ts'
import { EngineError, OPERATON_VERSION, engineJarMiB, engineStatus, enginePaths, followLog, installEngine, logTail, startEngine, stopEngine } from '../lib/engine.ts'

const [command = 'status', ...rest] = process.argv.slice(2)

await withConfig(async (config) => {
  try {
    switch (command) {
      case 'install': {
        const { built } = await installEngine(config, undefined, { tests: rest.includes('--tests') })
        console.log(`Operaton ${OPERATON_VERSION} engine ${built ? 'built' : 'already built'}: ${enginePaths(config).jar} (${await engineJarMiB(config)} MiB)`)
        break
      }
      case 'start':
        await startEngine(config)
        break
      case 'stop':
        await stopEngine(config)
        break
      case 'status': {
        const status = await engineStatus(config)
        const memory = status.residentKiB ? `, ${Math.round(status.residentKiB / 1024)} MiB resident` : ''
        console.log(
          `engine: ${status.pid ? `pid ${status.pid}` : 'not running'}${status.ready ? `, answering on ${config.ENGINE_URL} (Operaton ${status.version})` : ', not answering'}${memory}`,
        )
        process.exitCode = status.ready ? 0 : 1
        break
      }
      case 'logs': {
        const file = enginePaths(config).log
        if (rest.includes('-f')) {
          const stop = followLog(file)
          process.once('SIGINT', stop)
        } else {
          console.log(await logTail(file, 100))
        }
        break
      }
      default:
        console.error(`unknown command "${command}"; use install [--tests], start, stop, status or logs [-f]`)
        process.exitCode = 2
    }
  } catch (error) {
    if (!(error instanceof EngineError)) throw error
    console.error(`engine: ${error.message}`)
    process.exitCode = 1
  }
})
