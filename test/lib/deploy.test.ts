import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadConfig } from '../../lib/config.ts'
import { DeploymentError, deployAll, deployableFiles } from '../../lib/deploy.ts'

const config = loadConfig()

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
  const result = await deployAll(config, files)
  assert.ok(result.id)
})

test('a file that is not BPMN XML is named before anything is sent', async () => {
  const root = await project({ 'processes/broken.bpmn': '{ "not": "xml" }' })
  try {
    await deployAll(config, await deployableFiles(root))
    assert.unreachable('deployed')
  } catch (error) {
    assert.instance(error, DeploymentError)
    assert.match((error as Error).message, /broken\.bpmn.*not an XML document/)
  }
})

test('a form whose id differs from its file name is named', async () => {
  const root = await project({ 'forms/contract-order.review.form': '{ "id": "other", "components": [] }' })
  try {
    await deployAll(config, await deployableFiles(root))
    assert.unreachable('deployed')
  } catch (error) {
    assert.match((error as Error).message, 'contract-order.review.form')
    assert.match((error as Error).message, 'must equal the file stem')
  }
})

test('the engine rejecting a diagram names the file and gives the engine message', async () => {
  const bpmn = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://x">
  <bpmn:process id="broken-order" isExecutable="true" camunda:historyTimeToLive="1">
    <bpmn:startEvent id="start" />
    <bpmn:serviceTask id="no_topic" />
    <bpmn:sequenceFlow id="f" sourceRef="start" targetRef="no_topic" />
  </bpmn:process>
</bpmn:definitions>`
  const root = await project({ 'processes/broken-order.bpmn': bpmn })
  try {
    await deployAll(config, await deployableFiles(root))
    assert.unreachable('deployed')
  } catch (error) {
    assert.instance(error, DeploymentError)
    const message = (error as Error).message
    assert.match(message, 'Deployment failed (broken-order.bpmn)')
    console.log('  [info]', message)
    assert.match(message, /serviceTask/)
  }
})

test('a decision without historyTimeToLive is named before anything is sent', async () => {
  const dmn = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="http://x">
  <decision id="no-ttl" name="No TTL"><literalExpression id="e"><text>1</text></literalExpression></decision>
</definitions>`
  const root = await project({ 'processes/broken.no-ttl.dmn': dmn })
  try {
    await deployAll(config, await deployableFiles(root))
    assert.unreachable('deployed')
  } catch (error) {
    assert.instance(error, DeploymentError)
    assert.match((error as Error).message, /broken\.no-ttl\.dmn.*decision "no-ttl" has no camunda:historyTimeToLive/)
  }
})

test('a broken FEEL decision is refused naming the file and the engine message', async () => {
  const dmn = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" xmlns:camunda="http://camunda.org/schema/1.0/dmn" id="d" name="d" namespace="http://x">
  <decision id="broken-table" name="Broken" camunda:historyTimeToLive="1">
    <decisionTable id="t"><input id="i"><inputExpression id="ie" typeRef="string"><text>x</text></inputExpression></input></decisionTable>
  </decision>
</definitions>`
  const root = await project({ 'processes/broken.broken-table.dmn': dmn })
  try {
    await deployAll(config, await deployableFiles(root))
    assert.unreachable('deployed')
  } catch (error) {
    assert.instance(error, DeploymentError)
    assert.match((error as Error).message, 'broken.broken-table.dmn')
  }
})

test.run()
