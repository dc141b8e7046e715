/** npm run seed — creates and migrates the database when needed and loads the demo catalogue. */
import { withConfig } from '../lib/config.ts'
import { seedDemoCatalogue } from '../lib/seed.ts'
import { openDatabase } from '../lib/system.ts'

await withConfig(async (config) => {
  const db = await openDatabase(config)
  try {
    const loaded = await seedDemoCatalogue(db)
    console.log(`demo catalogue: ${loaded.products} products with stock, ${loaded.customers} customers`)
  } finally {
    await db.destroy()
  }
})
