// Texts of the auditor view in English and Simplified Chinese. The language follows the browser
// (zh* → Chinese) until the user picks one; the choice is kept in localStorage.

const texts = {
  en: {
    title: 'Auditor view', orders: 'Orders', deadlines: 'Deadlines', logout: 'Log out', language: '中文',
    username: 'User', password: 'Password', login: 'Log in', loginTitle: 'Log in with your engine user',
    loginFailed: 'Wrong user or password.', notAuditor: 'This view is for auditors only: your user is not in the auditor group.',
    sessionEnded: 'Your session ended. Log in again.', engineDown: 'The engine cannot be reached. Try again shortly.',
    number: 'Order number', customer: 'Customer', from: 'From', to: 'To', status: 'Status', channel: 'Channel', priority: 'Priority',
    missed: 'Missed a deadline', any: 'any', search: 'Find', reset: 'Reset', contract: 'contract', shop: 'shop', normal: 'normal', urgent: 'urgent',
    started: 'Started', finished: 'Finished', steps: 'Steps', breaches: 'Breaches', incidents: 'Open incidents', running: 'running',
    found: (n) => `${n} orders`, page: (p, of) => `Page ${p} of ${of}`, previous: 'Previous', next: 'Next', none: 'No orders match.',
    story: 'Story of order', exportJson: 'Download JSON', exportCsv: 'Download CSV', print: 'Print',
    instances: 'Process instances', timeline: 'Timeline', legendVisited: 'visited (× times)', legendActive: 'waits here now',
    legendIncident: 'incident', legendTaken: 'path taken', state: 'State',
    time: 'Time', process: 'Process', step: 'Step', actor: 'Actor', clause: 'Clause', outcome: 'Outcome', due: 'Due', details: 'Details',
    met: 'met', missedDue: 'missed', open: 'open', escalation: 'escalation: deadline missed', formData: 'Form data',
    elementHint: 'Click an element of a diagram to see its clause, times and actor.', element: 'Element', documentation: 'Procedure',
    visits: 'Visits', notVisited: 'Not visited in this instance.', ended: 'ended', noClause: 'cites no clause',
    deadlinesTitle: 'Service-level breaches', period: 'Period', show: 'Show', role: 'Role', level: 'Service level', count: 'Breaches',
    worst: 'Worst lateness', escalateTo: 'Escalated to', noBreaches: 'No deadline was missed in this period.',
    loading: 'Loading…', failed: 'Could not load:', back: 'Back to the list', notFound: 'No such order.',
  },
  zh: {
    title: '审计视图', orders: '订单', deadlines: '时限', logout: '退出', language: 'English',
    username: '用户名', password: '密码', login: '登录', loginTitle: '用引擎用户登录',
    loginFailed: '用户名或密码错误。', notAuditor: '此视图仅供审计人员使用：您的用户不在审计组。',
    sessionEnded: '会话已结束，请重新登录。', engineDown: '无法连接流程引擎，请稍后再试。',
    number: '订单号', customer: '客户', from: '起', to: '止', status: '状态', channel: '渠道', priority: '优先级',
    missed: '有超时', any: '全部', search: '查找', reset: '重置', contract: '合同', shop: '网店', normal: '普通', urgent: '加急',
    started: '开始', finished: '完成', steps: '步骤', breaches: '超时', incidents: '未解决事故', running: '进行中',
    found: (n) => `共 ${n} 个订单`, page: (p, of) => `第 ${p} 页，共 ${of} 页`, previous: '上一页', next: '下一页', none: '没有符合条件的订单。',
    story: '订单经过', exportJson: '下载 JSON', exportCsv: '下载 CSV', print: '打印',
    instances: '流程实例', timeline: '时间线', legendVisited: '经过（× 次）', legendActive: '当前等待', legendIncident: '事故', legendTaken: '走过的路径', state: '状态',
    time: '时间', process: '流程', step: '步骤', actor: '执行者', clause: '条款', outcome: '结果', due: '时限', details: '详情',
    met: '按时', missedDue: '超时', open: '未到期', escalation: '升级：已超时', formData: '表单数据',
    elementHint: '点击图中的元素，查看其条款、时间和执行者。', element: '元素', documentation: '规程',
    visits: '经过', notVisited: '此实例未经过。', ended: '结束', noClause: '未引用条款',
    deadlinesTitle: '服务时限超时', period: '期间', show: '显示', role: '角色', level: '服务时限', count: '超时次数',
    worst: '最长超时', escalateTo: '升级至', noBreaches: '此期间没有超时。',
    loading: '加载中…', failed: '加载失败：', back: '返回列表', notFound: '没有此订单。',
  },
}

let current = localStorage.getItem('auditor-lang') ?? (navigator.language?.toLowerCase().startsWith('zh') ? 'zh' : 'en')

/** The text `key` in the current language (a function's result when given arguments). */
export function t(key, ...args) {
  const text = texts[current][key] ?? texts.en[key] ?? key
  return typeof text === 'function' ? text(...args) : text
}

export const language = () => current

export function setLanguage(lang) {
  current = lang === 'zh' ? 'zh' : 'en'
  localStorage.setItem('auditor-lang', current)
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en'
}

/** Dates and times as the language writes them, in the browser's time zone. */
export function formatTime(iso) {
  if (!iso) return ''
  return new Intl.DateTimeFormat(current === 'zh' ? 'zh-CN' : 'en-GB', { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(iso))
}

setLanguage(current)
