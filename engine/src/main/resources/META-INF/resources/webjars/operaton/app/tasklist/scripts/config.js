/*
 * order-flow's configuration of Operaton Tasklist, served from the engine app's class path in
 * place of the web jar's own: it offers the project's Simplified Chinese translation
 * (../locales/zh.json) beside English and German (the app picks the browser's language, or the
 * one chosen in the header's language menu, 中文 / English: ../order-flow/scripts/language.js, a
 * custom script that also makes form date fields show and accept YYYY-MM-DD), and keeps
 * Tasklist's keyboard shortcuts, which its own configuration file declares.
 */
export default {
  locales: {
    availableLocales: ['en', 'de', 'zh'],
    fallbackLocale: 'en',
  },
  customScripts: ['../order-flow/scripts/language'],
  shortcuts: {
    claimTask: { key: 'ctrl+alt+c', description: 'claims the currently selected task' },
    focusFilter: { key: 'ctrl+shift+f', description: 'set the focus to the first filter in the list' },
    focusList: { key: 'ctrl+alt+l', description: 'sets the focus to the first task in the list' },
    focusForm: { key: 'ctrl+alt+f', description: 'sets the focus to the first input field in a task form' },
    startProcess: { key: 'ctrl+alt+p', description: 'opens the start process modal dialog' },
  },
}
