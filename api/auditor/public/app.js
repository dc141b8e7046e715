// The auditor view: find orders, read one order's story (diagrams and timeline), export it, and
// list the deadlines missed in a period. Read-only: apart from logging in and out it only GETs.
// Every value from the server is put into the page as text (dom.js), never parsed as HTML.
import { el, replace } from './dom.js'
import { formatTime, language, setLanguage, t } from './i18n.js'

const top = document.getElementById('top')
const main = document.getElementById('main')
let session = null

class HttpError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`)
    this.status = status
    this.problem = problem
  }
}

/** GETs (or sends) JSON from /auditor/api; a 401 ends the session and shows the login. */
async function call(path, options = {}) {
  const response = await fetch(`/auditor/api${path}`, {
    method: options.method ?? 'GET',
    credentials: 'same-origin',
    headers: options.body ? { 'content-type': 'application/json', accept: 'application/json' } : { accept: 'application/json' },
    body: options.body ? JSON.stringify(options.body) : undefined,
  })
  if (response.status === 204) return null
  const type = response.headers.get('content-type') ?? ''
  const body = type.includes('json') ? await response.json() : await response.text()
  if (!response.ok) {
    if (response.status === 401 && path !== '/session') {
      session = null
      showLogin(t('sessionEnded'))
    }
    throw new HttpError(response.status, typeof body === 'object' ? body : null)
  }
  return body
}

function renderHeader() {
  const languageButton = el('button', { type: 'button', class: 'link', id: 'language' }, t('language'))
  languageButton.addEventListener('click', () => {
    setLanguage(language() === 'zh' ? 'en' : 'zh')
    route()
  })
  const nav = session
    ? [el('a', { href: '#/orders' }, t('orders')), el('a', { href: '#/deadlines' }, t('deadlines'))]
    : []
  const logout = session ? el('button', { type: 'button', class: 'link', id: 'logout' }, t('logout')) : null
  logout?.addEventListener('click', async () => {
    await call('/session', { method: 'DELETE' }).catch(() => undefined)
    session = null
    location.hash = '#/'
    showLogin()
  })
  replace(top, el('strong', {}, `order-flow · ${t('title')}`), el('nav', {}, nav), el('span', { class: 'spacer' }),
    session ? el('span', { class: 'user' }, session.user) : null, logout, languageButton)
}

function showLogin(message) {
  renderHeader()
  const username = el('input', { name: 'username', autocomplete: 'username', required: true })
  const password = el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })
  const status = el('p', { class: 'error', role: 'alert' }, message ?? '')
  const form = el('form', { class: 'login', id: 'login' },
    el('h1', {}, t('loginTitle')),
    el('label', {}, t('username'), username),
    el('label', {}, t('password'), password),
    el('button', { type: 'submit' }, t('login')),
    status)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    replace(status)
    try {
      session = await call('/session', { method: 'POST', body: { username: username.value, password: password.value } })
      route()
    } catch (error) {
      replace(status, error.status === 403 ? t('notAuditor') : error.status === 401 ? t('loginFailed') : error.status === 503 ? t('engineDown') : error.message)
    }
  })
  replace(main, form)
  username.focus()
}

function failed(error) {
  if (error.status === 401) return
  replace(main, el('p', { class: 'error', role: 'alert' }, error.status === 404 ? t('notFound') : `${t('failed')} ${error.message}`))
}

// ---- Find orders ---------------------------------------------------------------------------

const filterNames = ['number', 'customer', 'from', 'to', 'status', 'channel', 'priority', 'missed']

function select(name, values, chosen, label = (v) => v) {
  return el('select', { name }, el('option', { value: '' }, t('any')),
    values.map((v) => el('option', { value: v, selected: v === chosen }, label(v))))
}

async function showOrders(params) {
  replace(main, el('p', {}, t('loading')))
  const query = new URLSearchParams()
  for (const name of [...filterNames, 'page']) if (params.get(name)) query.set(name, params.get(name))
  let answer
  try {
    answer = await call(`/orders?${query}`)
  } catch (error) {
    return failed(error)
  }
  const field = (name, type = 'text') => el('label', {}, t(name), el('input', { name, type, value: params.get(name) ?? '' }))
  const form = el('form', { class: 'filters', id: 'filters' },
    field('number'), field('customer'), field('from', 'date'), field('to', 'date'),
    el('label', {}, t('status'), select('status', answer.statuses, params.get('status'))),
    el('label', {}, t('channel'), select('channel', ['contract', 'shop'], params.get('channel'), t)),
    el('label', {}, t('priority'), select('priority', ['normal', 'urgent'], params.get('priority'), t)),
    el('label', { class: 'check' }, el('input', { type: 'checkbox', name: 'missed', value: 'true', checked: params.get('missed') === 'true' }), t('missed')),
    el('button', { type: 'submit' }, t('search')),
    el('a', { href: '#/orders', class: 'button' }, t('reset')))
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const chosen = new URLSearchParams()
    for (const [name, value] of new FormData(form)) if (value) chosen.set(name, String(value))
    location.hash = `#/orders?${chosen}`
  })
  const pages = Math.max(1, Math.ceil(answer.total / answer.pageSize))
  const pageLink = (page, text) => {
    const next = new URLSearchParams(query)
    next.set('page', String(page))
    return page < 1 || page > pages ? el('span', { class: 'disabled' }, text) : el('a', { href: `#/orders?${next}` }, text)
  }
  const rows = answer.orders.map((o) => el('tr', { class: o.breaches ? 'breached' : null },
    el('td', {}, el('a', { href: `#/orders/${encodeURIComponent(o.orderNumber)}` }, o.orderNumber)),
    el('td', { class: 'customer' }, o.customerName ?? ''),
    el('td', {}, t(o.channel)), el('td', {}, t(o.priority)), el('td', {}, o.status),
    el('td', {}, formatTime(o.createdAt)), el('td', {}, o.finishedAt ? formatTime(o.finishedAt) : t('running')),
    el('td', { class: 'number' }, o.steps), el('td', { class: 'number' }, o.breaches), el('td', { class: 'number' }, o.openIncidents)))
  replace(main, form,
    el('p', { class: 'summary' }, t('found', answer.total)),
    rows.length
      ? el('table', { class: 'orders' },
        el('thead', {}, el('tr', {}, [t('number'), t('customer'), t('channel'), t('priority'), t('status'), t('started'), t('finished'), t('steps'), t('breaches'), t('incidents')].map((h) => el('th', {}, h)))),
        el('tbody', {}, rows))
      : el('p', {}, t('none')),
    el('p', { class: 'pager' }, pageLink(answer.page - 1, t('previous')), ' ', t('page', answer.page, pages), ' ', pageLink(answer.page + 1, t('next'))))
}

// ---- One order's story ----------------------------------------------------------------------

/** The breaches on the timeline (the escalations' records and the register), as `<level>@<due instant>`. */
let breached = new Set()

function breachesOf(items) {
  const found = new Set()
  for (const item of items) {
    if (item.kind !== 'sla-breach') continue
    const records = [item.details ?? {}, ...(item.details?.recorded ?? []).map((r) => r.result ?? {})]
    for (const record of records) if (record.sla && record.dueAt) found.add(`${record.sla}@${Date.parse(record.dueAt)}`)
  }
  return found
}

/** How one deadline of a step went: missed (escalated, or done late), met, or still open. */
function deadlineState(sla, item) {
  if (breached.has(`${sla.id}@${Date.parse(sla.due)}`)) return 'missedDue'
  if (item.endedAt) return Date.parse(item.endedAt) <= Date.parse(sla.due) ? 'met' : 'missedDue'
  return Date.now() > Date.parse(sla.due) ? 'missedDue' : 'open'
}

function dueCell(item) {
  const deadlines = Array.isArray(item.details?.sla) ? item.details.sla : []
  if (item.kind === 'sla-breach') return el('td', { class: 'due missed' }, t('escalation'), item.details?.dueAt ? ` (${formatTime(item.details.dueAt)})` : '')
  return el('td', { class: 'due' }, deadlines.map((sla) => {
    const state = deadlineState(sla, item)
    return el('div', { class: state === 'missedDue' ? 'missed' : state }, `${formatTime(sla.due)} — ${t(state)}`, sla.clause ? ` (${sla.clause})` : '')
  }))
}

function detailsCell(item) {
  const { formData, recorded, sla, ...rest } = item.details ?? {}
  const parts = []
  if (formData && Object.keys(formData).length) parts.push(el('details', {}, el('summary', {}, t('formData')), el('pre', {}, JSON.stringify(formData, null, 2))))
  const more = { ...rest, ...(recorded ? { recorded } : {}) }
  if (Object.keys(more).length) parts.push(el('details', {}, el('summary', {}, t('details')), el('pre', {}, JSON.stringify(more, null, 2))))
  return el('td', { class: 'details' }, parts)
}

const stepName = (item) => item.elementName ?? item.details?.step ?? item.elementId ?? ''

function timeline(story) {
  const process = new Map(story.instances.map((i) => [i.key, i.bpmnProcessId]))
  return el('table', { class: 'timeline', id: 'timeline' },
    el('thead', {}, el('tr', {}, [t('time'), t('process'), t('step'), t('actor'), t('clause'), t('outcome'), t('due'), t('details')].map((h) => el('th', {}, h)))),
    el('tbody', {}, story.history.items.map((item) => el('tr', { class: `kind-${item.kind}` },
      el('td', { class: 'time' }, formatTime(item.at), item.endedAt && item.endedAt !== item.at ? el('div', { class: 'ended' }, `${t('ended')} ${formatTime(item.endedAt)}`) : null),
      el('td', {}, item.bpmnProcessId ?? process.get(item.processInstanceKey) ?? ''),
      el('td', {}, stepName(item)),
      el('td', {}, item.actor),
      el('td', { class: 'clause' }, item.clause ?? ''),
      el('td', {}, item.outcome ?? item.state ?? ''),
      dueCell(item),
      detailsCell(item)))))
}

/** Per element of one instance: visits (activity instances), open ones, incidents. */
function marksOf(story, instance) {
  const visits = new Map()
  const incidents = new Map()
  for (const item of story.history.items) {
    if (item.processInstanceKey !== instance.key || !item.elementId) continue
    if (item.kind === 'incident') incidents.set(item.elementId, item.state === 'ACTIVE' ? 'incident' : incidents.get(item.elementId) ?? 'incident-resolved')
    else if (item.elementType) visits.set(item.elementId, [...(visits.get(item.elementId) ?? []), item])
  }
  return { visits, incidents }
}

function elementPanel(panel, instance, element, marks) {
  const bo = element.businessObject
  const documentation = (bo.documentation ?? []).map((d) => d.text).filter(Boolean).join('\n\n')
  const visits = marks.visits.get(element.id) ?? []
  const clause = visits.find((v) => v.clause)?.clause
  replace(panel,
    el('h3', {}, bo.name || element.id),
    el('p', { class: 'meta' }, `${instance.bpmnProcessId} · ${element.id} · ${String(bo.$type).replace('bpmn:', '')}`),
    el('p', { class: 'clause' }, el('strong', {}, `${t('clause')}: `), clause ?? (documentation ? documentation.split(' — ')[0] : t('noClause'))),
    documentation ? el('p', { class: 'documentation' }, el('strong', {}, `${t('documentation')}: `), documentation) : null,
    el('h4', {}, `${t('visits')} (${visits.length})`),
    visits.length
      ? el('ul', {}, visits.map((v) => el('li', {},
        `${formatTime(v.at)}${v.endedAt ? ` → ${formatTime(v.endedAt)}` : ''} · ${t('actor')}: ${v.actor}${v.outcome ? ` · ${t('outcome')}: ${v.outcome}` : ''}`,
        (Array.isArray(v.details?.sla) ? v.details.sla : []).map((sla) => el('div', { class: deadlineState(sla, v) === 'missedDue' ? 'missed' : '' }, `${t('due')}: ${formatTime(sla.due)} — ${t(deadlineState(sla, v))}`)))))
      : el('p', {}, t('notVisited')))
  panel.hidden = false
}

/** The BPMN XML of each process definition, fetched once per page (a deployed definition never changes). */
const definitions = new Map()

function definitionXml(id) {
  if (!definitions.has(id)) {
    definitions.set(id, fetch(`/auditor/api/definitions/${encodeURIComponent(id)}/xml`, { credentials: 'same-origin' }).then(async (response) => {
      if (!response.ok) throw new HttpError(response.status)
      return response.text()
    }))
    definitions.get(id).catch(() => definitions.delete(id))
  }
  return definitions.get(id)
}

async function drawInstance(story, instance, card, panel) {
  const canvasNode = card.querySelector('.canvas')
  const xml = await definitionXml(instance.processDefinitionKey)
  const viewer = new window.BpmnJS({ container: canvasNode })
  await viewer.importXML(xml)
  const canvas = viewer.get('canvas')
  const registry = viewer.get('elementRegistry')
  const overlays = viewer.get('overlays')
  canvas.zoom('fit-viewport')
  const marks = marksOf(story, instance)
  for (const [id, visits] of marks.visits) {
    if (!registry.get(id)) continue
    canvas.addMarker(id, 'visited')
    if (visits.some((v) => v.state === 'ACTIVE')) canvas.addMarker(id, 'active')
    if (visits.some((v) => v.kind === 'sla-breach')) canvas.addMarker(id, 'breached')
    overlays.add(id, 'visits', { position: { top: -12, right: 12 }, html: el('span', { class: 'visit-count', title: t('legendVisited') }, `×${visits.length}`) })
  }
  for (const [id, kind] of marks.incidents) if (registry.get(id)) canvas.addMarker(id, kind)
  for (const connection of registry.filter((e) => e.type === 'bpmn:SequenceFlow')) {
    if (marks.visits.has(connection.source?.id) && marks.visits.has(connection.target?.id)) canvas.addMarker(connection.id, 'taken')
  }
  viewer.get('eventBus').on('element.click', ({ element }) => {
    if (element.type === 'bpmn:Process' || element.type === 'label') return
    elementPanel(panel, instance, element, marks)
  })
  card.dataset.drawn = 'true'
}

async function showOrder(orderNumber) {
  replace(main, el('p', {}, t('loading')))
  let story
  try {
    story = await call(`/orders/${encodeURIComponent(orderNumber)}`)
  } catch (error) {
    return failed(error)
  }
  const { order } = story
  // The diagrams' XML loads while the timeline is built.
  for (const instance of story.instances) definitionXml(instance.processDefinitionKey).catch(() => undefined)
  breached = breachesOf(story.history.items)
  const exportLink = (format, label) =>
    el('a', { class: 'button', id: `export-${format}`, href: `/auditor/api/orders/${encodeURIComponent(order.orderNumber)}/history?format=${format}`, download: `${order.orderNumber}-history.${format}` }, label)
  const printButton = el('button', { type: 'button', id: 'print' }, t('print'))
  printButton.addEventListener('click', () => window.print())
  const panel = el('aside', { class: 'element-panel', id: 'element-panel', hidden: true })
  const cards = story.instances.map((instance) => el('section', { class: 'instance', 'data-process': instance.bpmnProcessId, 'data-instance': instance.key },
    el('h3', {}, instance.bpmnProcessId, ' ', el('span', { class: `state state-${instance.state}` }, instance.state)),
    el('p', { class: 'meta' }, `${formatTime(instance.startDate)}${instance.endDate ? ` → ${formatTime(instance.endDate)}` : ''} · ${instance.key}`),
    el('div', { class: 'canvas' })))
  replace(main,
    el('p', { class: 'no-print' }, el('a', { href: '#/orders' }, `← ${t('back')}`)),
    el('h1', {}, `${t('story')} `, el('span', { id: 'order-number' }, order.orderNumber)),
    el('dl', { class: 'order' },
      el('dt', {}, t('customer')), el('dd', { id: 'customer-name' }, order.customerName ?? ''),
      el('dt', {}, t('channel')), el('dd', {}, t(order.channel)),
      el('dt', {}, t('priority')), el('dd', {}, t(order.priority)),
      el('dt', {}, t('status')), el('dd', {}, order.status),
      el('dt', {}, t('started')), el('dd', {}, formatTime(order.createdAt))),
    el('p', { class: 'actions no-print' }, exportLink('json', t('exportJson')), ' ', exportLink('csv', t('exportCsv')), ' ', printButton),
    el('h2', {}, t('instances')),
    el('p', { class: 'legend' },
      el('span', { class: 'key visited' }, t('legendVisited')), el('span', { class: 'key active' }, t('legendActive')),
      el('span', { class: 'key incident' }, t('legendIncident')), el('span', { class: 'key taken' }, t('legendTaken')), ' ', t('elementHint')),
    el('div', { class: 'story' }, el('div', { class: 'instances' }, cards), panel),
    el('h2', {}, t('timeline')),
    timeline(story))
  await Promise.all(story.instances.map((instance, i) => drawInstance(story, instance, cards[i], panel).catch((error) => {
    cards[i].append(el('p', { class: 'error' }, `${t('failed')} ${error.message}`))
  })))
}

// ---- Deadlines across orders --------------------------------------------------------------------

async function showDeadlines(params) {
  replace(main, el('p', {}, t('loading')))
  const period = new URLSearchParams()
  for (const name of ['from', 'to']) if (params.get(name)) period.set(name, params.get(name))
  let answer
  try {
    // Without a period the server answers the current month in the business time zone.
    answer = await call(`/deadlines?${period}`)
  } catch (error) {
    return failed(error)
  }
  const { from, to } = answer
  const form = el('form', { class: 'filters', id: 'period' },
    el('label', {}, t('from'), el('input', { type: 'date', name: 'from', value: from, required: true })),
    el('label', {}, t('to'), el('input', { type: 'date', name: 'to', value: to, required: true })),
    el('button', { type: 'submit' }, t('show')))
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    location.hash = `#/deadlines?${new URLSearchParams([...new FormData(form)].map(([k, v]) => [k, String(v)]))}`
  })
  const late = (minutes) => `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`
  replace(main, el('h1', {}, t('deadlinesTitle')), form,
    answer.groups.length
      ? el('table', { class: 'deadlines', id: 'deadlines' },
        el('thead', {}, el('tr', {}, [t('clause'), t('role'), t('level'), t('count'), t('worst'), t('escalateTo'), t('orders')].map((h) => el('th', {}, h)))),
        el('tbody', {}, answer.groups.map((g) => el('tr', {},
          el('td', {}, g.clause), el('td', {}, g.role), el('td', {}, g.slaId, g.what ? el('div', { class: 'meta' }, g.what) : null),
          el('td', { class: 'number' }, g.count), el('td', { class: 'number' }, late(g.worstLateMinutes)), el('td', {}, g.escalateTo),
          el('td', {}, g.orders.map((n) => [el('a', { href: `#/orders/${encodeURIComponent(n)}` }, n), ' ']))))))
      : el('p', {}, t('noBreaches')))
}

// ---- Routing ----------------------------------------------------------------------------

async function route() {
  if (!session) {
    try {
      session = await call('/session')
    } catch {
      return showLogin()
    }
  }
  renderHeader()
  const [path, query] = location.hash.replace(/^#/, '').split('?')
  const params = new URLSearchParams(query ?? '')
  const order = /^\/orders\/(.+)$/.exec(path ?? '')
  if (order) return showOrder(decodeURIComponent(order[1]))
  if (path === '/deadlines') return showDeadlines(params)
  return showOrders(params)
}

window.addEventListener('hashchange', route)
route()
