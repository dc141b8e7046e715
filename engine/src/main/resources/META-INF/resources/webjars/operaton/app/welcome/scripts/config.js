/*
 * order-flow's configuration of this Operaton web app, served from the engine app's class path in
 * place of the web jar's own: it offers the project's Simplified Chinese translation
 * (../locales/zh.json) beside English and German. The app picks the browser's language, or the
 * one chosen in the header's language menu (中文 / English), a custom script of the project's
 * (../order-flow/scripts/language.js, which also shows form dates as YYYY-MM-DD).
 */
export default {
  locales: {
    availableLocales: ['en', 'de', 'zh'],
    fallbackLocale: 'en',
  },
  customScripts: ['../order-flow/scripts/language'],
}
