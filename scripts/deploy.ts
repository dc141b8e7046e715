/**
 * npm run deploy [-- file ...] — deploys every process, decision and form in one deployment, or
 * only the files named (paths relative to the project root), to the engine at ENGINE_URL.
 */
import path from 'node:path'
import { projectRoot, withConfig } from '../lib/config.ts'
import { DeploymentError, deployAll, deployableFiles } from '../lib/deploy.ts'

await withConfig(async (config) => {
  try {
    const named = process.argv.slice(2).map((file) => path.resolve(projectRoot, file))
    const files = (await deployableFiles()).filter((f) => named.length === 0 || named.includes(f.file))
    if (named.length && files.length !== named.length) throw new DeploymentError(named, 'not every file named is a deployable resource')
    const result = await deployAll(config, files)
    console.log(`deployed ${files.length} files as deployment ${result.id}${result.created ? '' : ' (nothing changed)'}:`)
    for (const file of files) console.log(`  ${path.relative(projectRoot, file.file)}`)
  } catch (error) {
    if (!(error instanceof DeploymentError)) throw error
    console.error(error.message)
    process.exitCode = 1
  }
})
