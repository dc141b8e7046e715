/*
 * order-flow's configuration of this Operaton web app, served from the engine app's class path in
 * place of the web jar's own: it offers the project's Simplified Chinese translation
 * (../locales/zh.json) beside English and German. The app picks the browser's language.
 */
export default {
  locales: {
    availableLocales: ['en', 'de', 'zh'],
    fallbackLocale: 'en',
  },
}
