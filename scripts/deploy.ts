/** npm run deploy — deploys every process, decision and form in one deployment. */
import path from 'node:path'
import { projectRoot, withConfig } from '../lib/config.ts'
import { createCamunda } from '../lib/camunda.ts'
import { DeploymentError, deployAll, deployableFiles } from '../lib/deploy.ts'

await withConfig(async (config) => {
  const camunda = createCamunda(config)
  try {
    const files = await deployableFiles()
    const result = await deployAll(camunda, files)
    console.log(`deployed ${files.length} files as deployment ${result.key}:`)
    for (const file of files) console.log(`  ${path.relative(projectRoot, file.file)}`)
  } catch (error) {
    if (!(error instanceof DeploymentError)) throw error
    console.error(error.message)
    process.exitCode = 1
  } finally {
    await camunda.getZeebeGrpcApiClient().close()
  }
})
