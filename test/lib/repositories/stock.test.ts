import { randomInt } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadConfig } from '../../../lib/config.ts'
import { createDb } from '../../../lib/db.ts'
import { createRepositories } from '../../../lib/repositories/index.ts'
import { seedDemoCatalogue } from '../../../lib/seed.ts'

// Runs against the migrated database of DATABASE_URL (npm test makes one of its own).
const db = createDb(loadConfig().DATABASE_URL)
const { stock } = createRepositories(db)

test.before(async () => {
  await seedDemoCatalogue(db)
})

test.after(() => db.destroy())

test('group stock: the holders of a SKU, largest first, without those that hold none; a new count replaces the old', async () => {
  const [a, b, c] = ['A', 'B', 'C'].map((letter) => `Group company ${letter} ${Date.now()}${randomInt(1000, 10000)}`)
  await stock.setGroupStock({ company: a, sku: 'DDF-512', available: 5 })
  await stock.setGroupStock({ company: b, sku: 'DDF-512', available: 50 })
  await stock.setGroupStock({ company: c, sku: 'DDF-512', available: 0 })
  const mine = (rows: { company: string }[]) => rows.filter((r) => [a, b, c].includes(r.company))
  assert.equal(mine(await stock.groupStock('DDF-512')), [
    { company: b, sku: 'DDF-512', available: 50 },
    { company: a, sku: 'DDF-512', available: 5 },
  ])
  await stock.setGroupStock({ company: b, sku: 'DDF-512', available: 0 })
  assert.equal(mine(await stock.groupStock('DDF-512')).map((r) => r.company), [a])
})

test('the demo catalogue seeds the group companies\' stock that procurement-request reads', async () => {
  const held = await stock.groupStock('CT-600')
  assert.ok(held.some((r) => r.company === '易翔通信技术(佛山)有限公司' && r.available > 0), JSON.stringify(held))
})

test('a group stock row must name a catalogued SKU and cannot go below zero', async () => {
  try {
    await stock.setGroupStock({ company: 'X', sku: 'NO-SUCH-SKU', available: 1 })
    assert.unreachable('an unknown SKU was accepted')
  } catch (error) {
    assert.match(String(error), /group_stock_sku_foreign/)
  }
  try {
    await stock.setGroupStock({ company: 'X', sku: 'DDF-512', available: -1 })
    assert.unreachable('a negative quantity was accepted')
  } catch (error) {
    assert.match(String(error), /group_stock_available_check/)
  }
})

test.run()
