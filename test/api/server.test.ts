/** The API inject suite on PostgreSQL (the migrated database of DATABASE_URL; npm test makes one of its own). */
import { createDb } from '../../lib/db.ts'
import { seedDemoCatalogue } from '../../lib/seed.ts'
import { config } from './support.ts'
import { runApiSuite } from './suite.ts'

runApiSuite('api on PostgreSQL', async () => {
  const db = createDb(config.DATABASE_URL)
  await seedDemoCatalogue(db)
  return { db, close: () => db.destroy() }
})
