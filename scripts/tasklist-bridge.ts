/**
 * The Tasklist bridge (lib/tasklist-bridge.ts) as its own process; lib/engine.ts starts it beside
 * the engine and stops it with the engine.
 */
import { withConfig } from '../lib/config.ts'
import { ports } from '../lib/engine.ts'
import { createTasklistBridge } from '../lib/tasklist-bridge.ts'

await withConfig(async (config) => {
  const server = createTasklistBridge(config)
  server.listen(ports.tasklistBridge, '127.0.0.1', () => {
    process.stdout.write(`${new Date().toISOString()} tasklist bridge on 127.0.0.1:${ports.tasklistBridge} → ${config.CAMUNDA_REST_ADDRESS}\n`)
  })
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0))
    server.closeAllConnections()
  })
})
