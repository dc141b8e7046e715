/*
 * order-flow's language menu for Operaton's web apps (Tasklist, Cockpit, Admin, Welcome), loaded by
 * each app's scripts/config.js as a custom script (`customScripts`) before the app starts.
 *
 * The apps have no language menu of their own: they take the first of the browser's languages
 * (navigator.languages[0]) that their config offers, else the fallback (English). The menu
 * (中文 / English, at the left of the header's user menu) keeps the choice in the browser
 * (localStorage `order-flow.language`, shared by the four apps) and reloads; on every start this
 * script puts the chosen language first in navigator.languages, so the app picks it.
 *
 * Chinese is loaded alone: an app loads its language's file and its fallback's (English), and
 * each file's `dateLocales` sets moment's global locale as it arrives, so on a first visit the
 * slower response decides the language of dates and relative times ("in 4 hours" beside 中文
 * labels when en.json comes last). When the app shows Chinese this script makes Chinese its
 * fallback too (zh.json has every key of en.json, test/engine/locales.test.ts checks).
 *
 * Form date fields: Tasklist's form-js (1.8) shows and reads a date in the order of the browser's
 * default date format (Intl.DateTimeFormat('default'): 2027/3/15 in Chinese, 3/15/2027 in US
 * English). This script makes that default format the ISO date, so a date field shows and accepts
 * 2027-03-15 — the value it stores — in every language. Only that call (the default locale, no
 * options) changes; every other date format is the browser's.
 */
const STORAGE_KEY = 'order-flow.language'
const LANGUAGES = [
  { id: 'zh', label: '中文', tag: 'zh-CN' },
  { id: 'en', label: 'English', tag: 'en' },
]
/** A locale whose default date format is the ISO date (year-month-day, zero-padded). */
const ISO_DATE_LOCALE = 'sv-SE'
/** Where each app keeps its scripts/config.js (its bootstrap sets it before loading custom scripts). */
const APP_CONFIGURATIONS = ['camTasklistConf', 'camCockpitConf', 'camAdminConf', 'camWelcomeConf']

function appLocales() {
  const name = APP_CONFIGURATIONS.find((candidate) => window[candidate])
  return name ? window[name].locales : undefined
}

function chosenLanguage() {
  try {
    return LANGUAGES.find((language) => language.id === window.localStorage.getItem(STORAGE_KEY))
  } catch {
    return undefined
  }
}

function preferLanguage(language) {
  const browsers = Array.from(window.navigator.languages ?? [window.navigator.language])
  const languages = Object.freeze([language.tag, ...browsers.filter((tag) => tag !== language.tag)])
  Object.defineProperty(window.navigator, 'languages', { configurable: true, get: () => languages })
  Object.defineProperty(window.navigator, 'language', { configurable: true, get: () => language.tag })
  document.documentElement.lang = language.tag
}

function isoDateFields() {
  const NativeDateTimeFormat = Intl.DateTimeFormat
  function DateTimeFormat(locales, options) {
    const formDefault = (locales === undefined || locales === 'default') && options === undefined
    return new NativeDateTimeFormat(formDefault ? ISO_DATE_LOCALE : locales, options)
  }
  DateTimeFormat.prototype = NativeDateTimeFormat.prototype
  DateTimeFormat.supportedLocalesOf = NativeDateTimeFormat.supportedLocalesOf.bind(NativeDateTimeFormat)
  Intl.DateTimeFormat = DateTimeFormat
}

/** The language the app shows: the first of the browser's languages if the app offers it, else its fallback. */
function shownLanguage() {
  const first = String((window.navigator.languages ?? [])[0] ?? window.navigator.language ?? '').split('-')[0].toLowerCase()
  const locales = appLocales()
  return (locales?.availableLocales ?? ['en']).includes(first) ? first : (locales?.fallbackLocale ?? 'en')
}

function loadChineseAlone() {
  const locales = appLocales()
  if (locales && shownLanguage() === 'zh') locales.fallbackLocale = 'zh'
}

/**
 * Keeps the choice and loads the app again in it, once the app has fetched that language's file
 * (which it keeps in the browser): an app that starts without its language's file at hand shows
 * the texts it looks up only once, before the file arrives, as their keys (CREATION_DATE).
 */
function choose(language) {
  window.localStorage.setItem(STORAGE_KEY, language.id)
  const reload = () => window.location.reload()
  const injector = window.angular?.element(document.documentElement).injector()
  if (!injector?.has('$translate')) return reload()
  const scope = injector.get('$rootScope')
  scope.$apply(() => injector.get('$translate').use(language.id).then(reload, reload))
}

function languageMenu() {
  const current = shownLanguage()
  const item = document.createElement('li')
  item.className = 'order-flow-language'
  item.setAttribute('role', 'group')
  item.setAttribute('aria-label', '语言 Language')
  LANGUAGES.forEach((language, index) => {
    if (index > 0) item.append(' / ')
    const link = document.createElement('a')
    link.href = ''
    link.textContent = language.label
    link.lang = language.tag
    link.setAttribute('role', 'button')
    link.dataset.language = language.id
    link.style.display = 'inline-block'
    if (language.id === current) {
      link.setAttribute('aria-pressed', 'true')
      link.style.fontWeight = 'bold'
    } else {
      link.setAttribute('aria-pressed', 'false')
    }
    link.addEventListener('click', (event) => {
      event.preventDefault()
      if (language.id !== current) choose(language)
    })
    item.append(link)
  })
  return item
}

/** Puts the menu first in the header's menu bar, once the header widget has rendered it. */
function addLanguageMenu() {
  const place = () => {
    const bar = document.querySelector('nav.cam-nav.app-menu > ul')
    if (bar && !bar.querySelector(':scope > li.order-flow-language')) bar.prepend(languageMenu())
  }
  new MutationObserver(place).observe(document.documentElement, { childList: true, subtree: true })
  place()
}

const chosen = chosenLanguage()
if (chosen) preferLanguage(chosen)
loadChineseAlone()
isoDateFields()
addLanguageMenu()

/** No plugin: the apps read a custom script's default export as its list of plugins. */
export default []
