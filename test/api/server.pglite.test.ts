/**
 * The API inject suite on the embedded PGlite database (the default when DATABASE_URL is unset):
 * a fresh database in a temporary folder, every migration run on it, the demo catalogue seeded.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createDb, dropDatabase, migrateLatest } from '../../lib/db.ts'
import { seedDemoCatalogue } from '../../lib/seed.ts'
import { runApiSuite } from './suite.ts'

runApiSuite('api on PGlite', async () => {
  const url = `pglite:${mkdtempSync(path.join(tmpdir(), 'order-flow-pglite-'))}`
  const db = createDb(url)
  await migrateLatest(db)
  await seedDemoCatalogue(db)
  return {
    db,
    close: async () => {
      await db.destroy()
      await dropDatabase(url)
    },
  }
})
