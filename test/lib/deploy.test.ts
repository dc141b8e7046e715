import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DeploymentError, deployAll, deployableFiles } from '../../lib/deploy.ts'
import { openClients } from '../helpers.ts'

const { camunda } = openClients()

test.after(async () => {
  await camunda.getZeebeGrpcApiClient().close()
})

async function project(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'deploy-'))
  await mkdir(path.join(root, 'processes'))
  await mkdir(path.join(root, 'forms'))
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(root, name), text)
  return root
}

test('every process, decision and form of the project is deployable', async () => {
  const files = await deployableFiles()
  assert.ok(files.some((f) => f.file.endsWith('processes/contract-order.bpmn')))
  assert.ok(files.some((f) => f.kind === 'decision'))
  assert.ok(files.some((f) => f.kind === 'form'))
  const result = await deployAll(camunda, files)
  assert.ok(result.key)
})

test('a file that is not BPMN XML is named before anything is sent', async () => {
  const root = await project({ 'processes/broken.bpmn': '{ "not": "xml" }' })
  try {
    await deployAll(camunda, await deployableFiles(root))
    assert.unreachable('deployed')
  } catch (error) {
    assert.instance(error, DeploymentError)
    assert.match((error as Error).message, /broken\.bpmn.*not an XML document/)
  }
})

test('a form whose id differs from its file name is named', async () => {
  const root = await project({ 'forms/contract-order.review.form': '{ "id": "other", "components": [] }' })
  try {
    await deployAll(camunda, await deployableFiles(root))
    assert.unreachable('deployed')
  } catch (error) {
    assert.match((error as Error).message, 'contract-order.review.form')
    assert.match((error as Error).message, 'must equal the file stem')
  }
})

test('the engine rejecting a diagram names the file and gives the engine message', async () => {
  const bpmn = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://x">
  <bpmn:process id="broken-order" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:serviceTask id="no_job_type" />
    <bpmn:sequenceFlow id="f" sourceRef="start" targetRef="no_job_type" />
  </bpmn:process>
</bpmn:definitions>`
  const root = await project({ 'processes/broken-order.bpmn': bpmn })
  try {
    await deployAll(camunda, await deployableFiles(root))
    assert.unreachable('deployed')
  } catch (error) {
    assert.instance(error, DeploymentError)
    const message = (error as Error).message
    assert.match(message, 'Deployment failed (broken-order.bpmn)')
    assert.match(message, 'no_job_type')
  }
})

test.run()
