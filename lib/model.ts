/**
 * The project's models as data: every `processes/*.bpmn` (read with bpmn-moddle and the Camunda 7
 * extension `camunda:`), every `processes/*.dmn` and every `forms/*.form`, flattened into the lists
 * the model consistency test, the lint test and the diagram tools ask about: external-task topics,
 * user tasks, called processes and decisions, message catches, error catches, timers,
 * documentation and the diagram interchange (which element has a shape or an edge, and where).
 */
import { readdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { projectRoot } from './config.ts'

/** A parsed moddle element; only the properties this module reads are named. */
export interface ModdleNode {
  $type: string
  $parent?: ModdleNode
  id?: string
  name?: string
  [property: string]: unknown
}

interface ModdleParseResult {
  rootElement: ModdleNode
  warnings: { message: string }[]
}

interface ModdleInstance {
  fromXML(xml: string, type?: string): Promise<ModdleParseResult>
}

type ModdleConstructor = new (packages?: Record<string, unknown>) => ModdleInstance

// bpmn-moddle and dmn-moddle ship no types for their main export; require gives the constructors.
const require = createRequire(import.meta.url)
const { BpmnModdle } = require('bpmn-moddle') as { BpmnModdle: ModdleConstructor }
const { DmnModdle } = require('dmn-moddle') as { DmnModdle: ModdleConstructor }

/** The Camunda 7 moddle extension (camunda:topic, camunda:candidateGroups, camunda:inputOutput, ...). */
export const camundaSchema = require('camunda-bpmn-moddle/resources/camunda.json') as Record<string, unknown>

/** A BPMN moddle that understands the Camunda 7 and Camunda Modeler attributes our diagrams carry. */
export function createBpmnModdle(): ModdleInstance {
  return new BpmnModdle({
    camunda: camundaSchema,
    modeler: require('../scripts/modeler-moddle.json'),
  })
}

/** A flow element (flow node or sequence flow) of a process, at any depth of sub-processes. */
export interface ModelElement {
  id: string
  /** The moddle type, e.g. `bpmn:UserTask`, `bpmn:BoundaryEvent`, `bpmn:SequenceFlow`. */
  type: string
  name?: string
  /** Text of every `bpmn:documentation` of the element, joined by a blank line; '' when none. */
  documentation: string
  processId: string
  /** File name relative to the project root, e.g. `processes/contract-order.bpmn`. */
  file: string
  /** Id of the enclosing sub-process, or of the process at top level. */
  parentId: string
  /** Ids of the enclosing sub-processes, innermost first. */
  ancestors: string[]
  /** For boundary events: the activity the event is attached to. */
  attachedTo?: string
  /** Event definition types, e.g. `bpmn:MessageEventDefinition`. */
  eventDefinitions: string[]
  /** Ids of the outgoing / incoming sequence flows (flow nodes only). */
  outgoing: string[]
  incoming: string[]
  /** Sequence flows only. */
  sourceRef?: string
  targetRef?: string
  /** True for `bpmn:SubProcess triggeredByEvent="true"`. */
  eventSubProcess: boolean
  /** The moddle element itself, for checks this module does not flatten. */
  node: ModdleNode
}

/** One process of a BPMN file. */
export interface ProcessModel {
  id: string
  name?: string
  file: string
  isExecutable: boolean
  documentation: string
  elements: ModelElement[]
}

/** An external task: `camunda:type="external"` with its `camunda:topic` (= the worker module name). */
export interface TopicUse {
  topic: string
  /** `camunda:properties` of the element (the worker's custom headers). */
  properties: Record<string, string>
  elementId: string
  elementType: string
  processId: string
  file: string
}

/** A user task and how the engine runs it. */
export interface UserTaskModel {
  id: string
  name?: string
  processId: string
  file: string
  /** `camunda:formRef` (a Camunda Form deployed with the diagram). */
  formId?: string
  formRefBinding?: string
  formKey?: string
  candidateGroups: string[]
  assignee?: string
  dueDate?: string
  followUpDate?: string
}

/** A variable mapping of a call activity (`camunda:in` / `camunda:out`). */
export interface CallMapping {
  source?: string
  sourceExpression?: string
  target?: string
  businessKey?: string
  variables?: string
}

/** A call activity's `calledElement` and its variable mappings. */
export interface CalledProcess {
  processId: string
  binding?: string
  in: CallMapping[]
  out: CallMapping[]
  elementId: string
  callerProcessId: string
  file: string
}

/** A business rule task's `camunda:decisionRef`. */
export interface CalledDecision {
  decisionId: string
  binding?: string
  mapDecisionResult?: string
  resultVariable?: string
  elementId: string
  processId: string
  file: string
}

/** Where a message is caught and how it is correlated. */
export interface MessageSubscription {
  elementId: string
  elementType: string
  kind: 'process-start' | 'event-sub-process-start' | 'intermediate' | 'boundary' | 'receive-task'
  messageName?: string
  /**
   * Local input parameters of the catching element: a local correlation key (e.g. `requestNumber`
   * where one order waits several times for the same message). Correlation is otherwise by the
   * business key (the order number).
   */
  localVariables: string[]
  processId: string
  file: string
}

/** A timer event with its definition and the documentation that must cite its clause. */
export interface TimerModel {
  elementId: string
  elementType: string
  timeDuration?: string
  timeDate?: string
  timeCycle?: string
  documentation: string
  processId: string
  file: string
}

/** An error boundary event or error start event (of an event sub-process) and the code it catches. */
export interface ErrorCatch {
  elementId: string
  elementType: string
  /** The error code; undefined for a catch-all (no errorRef or no code). */
  errorCode?: string
  /** The activity the boundary event is attached to, or the scope an error start event serves. */
  scopeId: string
  processId: string
  file: string
}

/** x, y, width, height of a shape in diagram coordinates. */
export interface Bounds {
  x: number
  y: number
  width: number
  height: number
}

/** A `bpmndi:BPMNShape`. */
export interface ShapeModel {
  elementId: string
  elementType: string
  planeId: string
  bounds: Bounds
  isExpanded?: boolean
}

/** A `bpmndi:BPMNEdge`. */
export interface EdgeModel {
  elementId: string
  elementType: string
  planeId: string
  waypoints: { x: number; y: number }[]
}

/** The diagram interchange of one BPMN file and what it leaves out. */
export interface DiagramModel {
  file: string
  planes: { id: string; elementId?: string }[]
  shapes: ShapeModel[]
  edges: EdgeModel[]
  /** Flow nodes without a shape (ids). */
  flowNodesWithoutShape: string[]
  /** Sequence flows without an edge, or with fewer than two waypoints (ids). */
  sequenceFlowsWithoutEdge: string[]
}

/** One decision of a DMN file. */
export interface DecisionModel {
  id: string
  name?: string
  file: string
}

/** One form file. */
export interface FormModel {
  id?: string
  /** File name without `.form`; the form id must equal it. */
  stem: string
  file: string
  /** Set when the file is not JSON. */
  error?: string
}

/** Everything under processes/ and forms/, read once. */
export interface ProjectModel {
  root: string
  bpmnFiles: string[]
  dmnFiles: string[]
  /** Import warnings of the BPMN and DMN parsers (unknown elements, unresolved references). */
  parseWarnings: { file: string; message: string }[]
  processes: ProcessModel[]
  decisions: DecisionModel[]
  forms: FormModel[]
  /** External tasks and their topics. */
  topics: TopicUse[]
  userTasks: UserTaskModel[]
  calledProcesses: CalledProcess[]
  calledDecisions: CalledDecision[]
  messages: MessageSubscription[]
  errorCatches: ErrorCatch[]
  timers: TimerModel[]
  diagrams: DiagramModel[]
  /** Every flow element of every process. */
  elements: ModelElement[]
}

const is = (node: ModdleNode | undefined, type: string) => node?.$type === type
const list = (value: unknown) => (Array.isArray(value) ? (value as ModdleNode[]) : [])
const body = (node: unknown) => (node as { body?: string } | undefined)?.body?.trim()

/** The extension elements of `type` (e.g. `camunda:In`) on an element. */
export function extensions(node: ModdleNode, type: string): ModdleNode[] {
  const extensionElements = node.extensionElements as { values?: ModdleNode[] } | undefined
  return (extensionElements?.values ?? []).filter((value) => value.$type === type)
}

/** The first extension element of `type` (e.g. `camunda:InputOutput`) on an element, if any. */
export function extension(node: ModdleNode, type: string): ModdleNode | undefined {
  return extensions(node, type)[0]
}

const str = (value: unknown) => (typeof value === 'string' && value.trim() ? value : undefined)

function documentationOf(node: ModdleNode): string {
  return list(node.documentation)
    .map((doc) => String(doc.text ?? '').trim())
    .filter(Boolean)
    .join('\n\n')
}

function elementsOf(container: ModdleNode, processId: string, file: string, ancestors: string[]): ModelElement[] {
  const result: ModelElement[] = []
  for (const node of list(container.flowElements)) {
    const id = node.id ?? ''
    result.push({
      id,
      type: node.$type,
      name: node.name?.trim() || undefined,
      documentation: documentationOf(node),
      processId,
      file,
      parentId: container.id ?? processId,
      ancestors,
      attachedTo: (node.attachedToRef as ModdleNode | undefined)?.id,
      eventDefinitions: list(node.eventDefinitions).map((definition) => definition.$type),
      outgoing: list(node.outgoing).map((flow) => flow.id ?? ''),
      incoming: list(node.incoming).map((flow) => flow.id ?? ''),
      sourceRef: (node.sourceRef as ModdleNode | undefined)?.id,
      targetRef: (node.targetRef as ModdleNode | undefined)?.id,
      eventSubProcess: is(node, 'bpmn:SubProcess') && node.triggeredByEvent === true,
      node,
    })
    if (node.flowElements) result.push(...elementsOf(node, processId, file, [id, ...ancestors]))
  }
  return result
}

/** True for elements drawn as a shape (everything but sequence flows). */
export const isFlowNode = (element: ModelElement) => element.type !== 'bpmn:SequenceFlow'

function messageKind(element: ModelElement): MessageSubscription['kind'] | undefined {
  const hasMessage = element.eventDefinitions.includes('bpmn:MessageEventDefinition')
  if (element.type === 'bpmn:ReceiveTask') return 'receive-task'
  if (!hasMessage) return undefined
  if (element.type === 'bpmn:StartEvent') {
    const parent = element.node.$parent
    return is(parent, 'bpmn:SubProcess') ? 'event-sub-process-start' : 'process-start'
  }
  if (element.type === 'bpmn:IntermediateCatchEvent') return 'intermediate'
  if (element.type === 'bpmn:BoundaryEvent') return 'boundary'
  return undefined
}

function bounds(node: ModdleNode): Bounds {
  const b = node.bounds as Bounds
  return { x: b.x, y: b.y, width: b.width, height: b.height }
}

async function readBpmn(model: ProjectModel, file: string) {
  const xml = await readFile(path.join(model.root, file), 'utf8')
  let parsed: ModdleParseResult
  try {
    parsed = await createBpmnModdle().fromXML(xml)
  } catch (error) {
    model.parseWarnings.push({ file, message: `not readable as BPMN: ${(error as Error).message}` })
    return
  }
  const { rootElement: definitions, warnings } = parsed
  for (const warning of warnings) model.parseWarnings.push({ file, message: warning.message.split('\n')[0] })

  const inFile: ModelElement[] = []
  for (const bpmnProcess of list(definitions.rootElements).filter((root) => is(root, 'bpmn:Process'))) {
    const processId = bpmnProcess.id ?? ''
    const elements = elementsOf(bpmnProcess, processId, file, [])
    inFile.push(...elements)
    model.processes.push({
      id: processId,
      name: bpmnProcess.name,
      file,
      isExecutable: bpmnProcess.isExecutable === true,
      documentation: documentationOf(bpmnProcess),
      elements,
    })
  }
  model.elements.push(...inFile)

  for (const element of inFile) {
    const { node, id: elementId, processId } = element
    const at = { elementId, processId, file }
    const messageDefinition = list(node.eventDefinitions).find((d) => is(d, 'bpmn:MessageEventDefinition'))
    const external = [node, messageDefinition].find((n) => n?.type === 'external')
    if (external) {
      const properties = extension(node, 'camunda:Properties') as { values?: ModdleNode[] } | undefined
      model.topics.push({
        topic: String(external.topic ?? ''),
        properties: Object.fromEntries((properties?.values ?? []).map((p) => [String(p.name ?? ''), String(p.value ?? '')])),
        elementType: element.type,
        ...at,
      })
    }
    if (element.type === 'bpmn:UserTask') {
      model.userTasks.push({
        id: elementId,
        name: element.name,
        processId,
        file,
        formId: str(node.formRef),
        formRefBinding: str(node.formRefBinding),
        formKey: str(node.formKey),
        candidateGroups: String(node.candidateGroups ?? '')
          .split(',')
          .map((group) => group.trim())
          .filter(Boolean),
        assignee: str(node.assignee),
        dueDate: str(node.dueDate),
        followUpDate: str(node.followUpDate),
      })
    }
    if (element.type === 'bpmn:CallActivity') {
      const mapping = (m: ModdleNode): CallMapping => ({
        source: str(m.source),
        sourceExpression: str(m.sourceExpression),
        target: str(m.target),
        businessKey: str(m.businessKey),
        variables: str(m.variables),
      })
      model.calledProcesses.push({
        processId: String(node.calledElement ?? ''),
        binding: str(node.calledElementBinding),
        in: extensions(node, 'camunda:In').map(mapping),
        out: extensions(node, 'camunda:Out').map(mapping),
        elementId,
        callerProcessId: processId,
        file,
      })
    }
    if (element.type === 'bpmn:BusinessRuleTask') {
      model.calledDecisions.push({
        decisionId: String(node.decisionRef ?? ''),
        binding: str(node.decisionRefBinding),
        mapDecisionResult: str(node.mapDecisionResult),
        resultVariable: str(node.resultVariable),
        ...at,
      })
    }
    const kind = messageKind(element)
    if (kind) {
      const message = (element.type === 'bpmn:ReceiveTask' ? node.messageRef : messageDefinition?.messageRef) as ModdleNode | undefined
      const io = extension(node, 'camunda:InputOutput') as { inputParameters?: ModdleNode[] } | undefined
      model.messages.push({
        elementType: element.type,
        kind,
        messageName: message?.name,
        localVariables: (io?.inputParameters ?? []).map((p) => String(p.name ?? '')),
        ...at,
      })
    }
    const errorDefinition = list(node.eventDefinitions).find((d) => is(d, 'bpmn:ErrorEventDefinition'))
    if (errorDefinition && (element.type === 'bpmn:BoundaryEvent' || element.type === 'bpmn:StartEvent')) {
      model.errorCatches.push({
        elementType: element.type,
        errorCode: str((errorDefinition.errorRef as ModdleNode | undefined)?.errorCode),
        scopeId: element.type === 'bpmn:BoundaryEvent' ? (element.attachedTo ?? '') : (element.ancestors[1] ?? processId),
        ...at,
      })
    }
    const timer = list(node.eventDefinitions).find((d) => is(d, 'bpmn:TimerEventDefinition'))
    if (timer) {
      model.timers.push({
        elementType: element.type,
        timeDuration: body(timer.timeDuration),
        timeDate: body(timer.timeDate),
        timeCycle: body(timer.timeCycle),
        documentation: element.documentation,
        ...at,
      })
    }
  }

  const diagram: DiagramModel = { file, planes: [], shapes: [], edges: [], flowNodesWithoutShape: [], sequenceFlowsWithoutEdge: [] }
  for (const bpmnDiagram of list(definitions.diagrams)) {
    const plane = bpmnDiagram.plane as ModdleNode | undefined
    if (!plane) continue
    const planeId = plane.id ?? ''
    diagram.planes.push({ id: planeId, elementId: (plane.bpmnElement as ModdleNode | undefined)?.id })
    for (const di of list(plane.planeElement)) {
      const target = di.bpmnElement as ModdleNode | undefined
      if (!target?.id) continue
      if (is(di, 'bpmndi:BPMNShape') && di.bounds) {
        diagram.shapes.push({
          elementId: target.id,
          elementType: target.$type,
          planeId,
          bounds: bounds(di),
          isExpanded: di.isExpanded as boolean | undefined,
        })
      } else if (is(di, 'bpmndi:BPMNEdge')) {
        diagram.edges.push({
          elementId: target.id,
          elementType: target.$type,
          planeId,
          waypoints: list(di.waypoint).map((point) => ({ x: Number(point.x), y: Number(point.y) })),
        })
      }
    }
  }
  const shaped = new Set(diagram.shapes.map((shape) => shape.elementId))
  const edged = new Set(diagram.edges.filter((edge) => edge.waypoints.length >= 2).map((edge) => edge.elementId))
  diagram.flowNodesWithoutShape = inFile.filter((e) => isFlowNode(e) && !shaped.has(e.id)).map((e) => e.id)
  diagram.sequenceFlowsWithoutEdge = inFile.filter((e) => !isFlowNode(e) && !edged.has(e.id)).map((e) => e.id)
  model.diagrams.push(diagram)
}

async function readDmn(model: ProjectModel, file: string) {
  const xml = await readFile(path.join(model.root, file), 'utf8')
  try {
    const { rootElement: definitions, warnings } = await new DmnModdle().fromXML(xml, 'dmn:Definitions')
    for (const warning of warnings) model.parseWarnings.push({ file, message: warning.message.split('\n')[0] })
    for (const decision of list(definitions.drgElement).filter((element) => is(element, 'dmn:Decision'))) {
      model.decisions.push({ id: decision.id ?? '', name: decision.name, file })
    }
  } catch (error) {
    model.parseWarnings.push({ file, message: `not readable as DMN: ${(error as Error).message}` })
  }
}

async function readForm(model: ProjectModel, file: string) {
  const stem = path.basename(file, '.form')
  try {
    const form = JSON.parse(await readFile(path.join(model.root, file), 'utf8')) as { id?: unknown }
    model.forms.push({ id: typeof form.id === 'string' ? form.id : undefined, stem, file })
  } catch (error) {
    model.forms.push({ stem, file, error: (error as Error).message })
  }
}

async function filesIn(root: string, dir: string, ext: string): Promise<string[]> {
  const names = await readdir(path.join(root, dir)).catch(() => [] as string[])
  return names
    .filter((name) => name.endsWith(ext))
    .sort()
    .map((name) => `${dir}/${name}`)
}

/** Reads every process, decision and form under `root` (the project by default). */
export async function loadModel(root = projectRoot): Promise<ProjectModel> {
  const model: ProjectModel = {
    root,
    bpmnFiles: await filesIn(root, 'processes', '.bpmn'),
    dmnFiles: await filesIn(root, 'processes', '.dmn'),
    parseWarnings: [],
    processes: [],
    decisions: [],
    forms: [],
    topics: [],
    userTasks: [],
    calledProcesses: [],
    calledDecisions: [],
    messages: [],
    errorCatches: [],
    timers: [],
    diagrams: [],
    elements: [],
  }
  for (const file of model.bpmnFiles) await readBpmn(model, file)
  for (const file of model.dmnFiles) await readDmn(model, file)
  for (const file of await filesIn(root, 'forms', '.form')) await readForm(model, file)
  return model
}

/** True when the two rectangles share more than a border line. */
export function overlaps(a: Bounds, b: Bounds): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
}

/**
 * True when a boundary event's shape sits on its host's border: its centre is within half the
 * event's size of one of the host's four edges (and not beyond the host's corners).
 */
export function onBorder(event: Bounds, host: Bounds): boolean {
  const cx = event.x + event.width / 2
  const cy = event.y + event.height / 2
  const tolerance = Math.max(event.width, event.height) / 2
  const left = host.x
  const right = host.x + host.width
  const top = host.y
  const bottom = host.y + host.height
  const withinX = cx >= left - tolerance && cx <= right + tolerance
  const withinY = cy >= top - tolerance && cy <= bottom + tolerance
  const nearVertical = Math.min(Math.abs(cx - left), Math.abs(cx - right)) <= tolerance
  const nearHorizontal = Math.min(Math.abs(cy - top), Math.abs(cy - bottom)) <= tolerance
  return withinX && withinY && (nearVertical || nearHorizontal)
}
