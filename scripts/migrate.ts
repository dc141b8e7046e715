/** npm run migrate — creates the database when missing and runs pending migrations. */
import { withConfig } from '../lib/config.ts'
import { createDb, ensureDatabase, migrateLatest } from '../lib/db.ts'

await withConfig(async (config) => {
  await ensureDatabase(config.DATABASE_URL)
  const db = createDb(config.DATABASE_URL)
  try {
    const ran = await migrateLatest(db)
    console.log(ran.length ? `ran ${ran.join(', ')}` : 'database is up to date')
  } finally {
    await db.destroy()
  }
})
