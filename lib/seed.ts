/**
 * The demo catalogue: telecom equipment of the kind D10's company (易翔通信设备, Guangzhou)
 * sells — distribution frames, cable trays, cabinets, patch panels and one complete set — with
 * stock levels (some short, so procurement has work) and a few customers. `npm start` and
 * `npm run seed` load it; running it again changes nothing it has already set.
 */
import type { Knex } from 'knex'
import { createCustomerRepository, type Customer } from './repositories/customers.ts'
import { createProductRepository, type Product } from './repositories/products.ts'

interface DemoProduct extends Omit<Product, 'unit' | 'special_modification_surcharge_pct'> {
  unit?: string
  special_modification_surcharge_pct?: string
  /** Opening stock; only set when the SKU has no stock row yet. */
  on_hand: number
  location: string
}

/** Regular = shipped before with complete technical files (D1 第5条 1, D2 释义). */
export const demoProducts: readonly DemoProduct[] = [
  { sku: 'ODF-144', name: 'Optical distribution frame 光纤配线架 144-core', model: 'ODF-144-FC', regular: true, complete_set: false, technical_files_on_record: true, list_price: '6800.00', on_hand: 12, location: 'A-01' },
  { sku: 'ODF-288', name: 'Optical distribution frame 光纤配线架 288-core', model: 'ODF-288-SC', regular: true, complete_set: false, technical_files_on_record: true, list_price: '11800.00', on_hand: 3, location: 'A-02' },
  { sku: 'DDF-512', name: 'Digital distribution frame 数字配线架 512 ports', model: 'DDF-512-75', regular: true, complete_set: false, technical_files_on_record: true, list_price: '4200.00', on_hand: 20, location: 'A-03' },
  { sku: 'MDF-2000', name: 'Main distribution frame 总配线架 2000 pairs', model: 'MDF-2000L', regular: true, complete_set: false, technical_files_on_record: true, list_price: '18500.00', on_hand: 2, location: 'A-04' },
  { sku: 'CT-400', name: 'Cable tray 走线架 400 mm aluminium', model: 'CT-400-AL', regular: true, complete_set: false, technical_files_on_record: true, list_price: '85.00', unit: 'm', on_hand: 600, location: 'B-01' },
  { sku: 'CT-600', name: 'Cable tray 走线架 600 mm steel', model: 'CT-600-ST', regular: true, complete_set: false, technical_files_on_record: true, list_price: '120.00', unit: 'm', on_hand: 40, location: 'B-02' },
  { sku: 'CAB-42U', name: 'Network cabinet 网络机柜 42U 600×1000', model: 'NC-42U-6010', regular: true, complete_set: false, technical_files_on_record: true, list_price: '3200.00', on_hand: 25, location: 'C-01' },
  { sku: 'CAB-OUT', name: 'Outdoor integrated cabinet 室外一体化机柜', model: 'OIC-1600-AC', regular: false, complete_set: false, technical_files_on_record: false, list_price: '26800.00', special_modification_surcharge_pct: '20.00', on_hand: 0, location: 'C-02' },
  { sku: 'OCC-144', name: 'Optical cable cross-connect cabinet 光缆交接箱 144-core', model: 'OCC-144-SMC', regular: false, complete_set: false, technical_files_on_record: false, list_price: '3600.00', on_hand: 0, location: 'C-03' },
  { sku: 'PP-24C6', name: 'Patch panel 配线面板 24-port Cat6', model: 'PP-24-C6-1U', regular: true, complete_set: false, technical_files_on_record: true, list_price: '260.00', on_hand: 150, location: 'D-01' },
  { sku: 'PP-LC48', name: 'Fibre patch panel 光纤配线面板 48-port LC', model: 'FPP-48LC-2U', regular: true, complete_set: false, technical_files_on_record: true, list_price: '980.00', on_hand: 8, location: 'D-02' },
  { sku: 'SET-EQR', name: 'Equipment room complete set 机房成套设备 (cabinets, ODF, trays, patching)', model: 'EQR-SET-A', regular: true, complete_set: true, technical_files_on_record: true, list_price: '168000.00', unit: 'set', on_hand: 1, location: 'E-01' },
]

export const demoCustomers: readonly Customer[] = [
  { customer_number: 'CU-0001', name: 'Guangzhou Telecom Works', channel: 'contract', contact_person: 'Chen Jie', phone: '+86 20 8888 0001', email: 'purchasing@gz-telecom.example', address: 'Tianhe District, Guangzhou', payment_terms_days: 60 },
  { customer_number: 'CU-0002', name: 'Guangdong Mobile Network Construction', channel: 'contract', contact_person: 'Liu Yang', phone: '+86 20 8888 0002', email: 'orders@gd-mobile-build.example', address: 'Huangpu District, Guangzhou', payment_terms_days: 30 },
  { customer_number: 'CU-0003', name: 'Shenzhen Huaxun Engineering', channel: 'contract', contact_person: 'Wang Fang', phone: '+86 755 6666 0003', email: 'pm@huaxun-eng.example', address: 'Nanshan District, Shenzhen', payment_terms_days: 90 },
  { customer_number: 'CU-0004', name: 'Zhang Wei', channel: 'shop', phone: '+86 138 0000 0004', email: 'zhang.wei@example.com', address: 'Yuexiu District, Guangzhou' },
]

/**
 * What the other group companies hold (D2 二.一.3), for procurement-request's group-transfer
 * choice: 深圳 holds 20 ODF-288 frames and 40 fibre patch panels, 佛山 4 MDF-2000 and 300 m of CT-600.
 */
export const demoGroupStock = [
  { company: '易翔通信设备(深圳)有限公司', sku: 'ODF-288', available: 20 },
  { company: '易翔通信设备(深圳)有限公司', sku: 'PP-LC48', available: 40 },
  { company: '易翔通信技术(佛山)有限公司', sku: 'MDF-2000', available: 4 },
  { company: '易翔通信技术(佛山)有限公司', sku: 'CT-600', available: 300 },
]

/**
 * Upserts the demo products and customers and gives each product its opening stock, and the group
 * companies theirs, when there is none yet (stock already counted or consumed is left alone). Returns what it loaded.
 */
/**
 * A regular contract order of a seeded SKU with plenty of stock (PP-24C6): the order the tests,
 * the benchmark and the README's examples place (without its number and channel).
 */
export function demoContractOrder() {
  return {
    customer: { name: 'Guangzhou Telecom Works', phone: '020-12345678' },
    lines: [{ sku: 'PP-24C6', productName: 'Patch panel 24-port Cat6', model: 'PP-24-C6-1U', quantity: 2 }],
    deliveryDate: '2027-03-01',
    deliveryAddress: '88 Tianhe Road, Guangzhou 510620',
    shippingMethod: 'road',
    salesLeaderSignOff: { name: 'Li Wei' },
    shippedBefore: true,
    technicalFilesComplete: true,
  }
}

/** A non-regular contract order (CAB-OUT is not a regular product; technical files incomplete): engineering review and GM approval. */
export function demoNonRegularContractOrder() {
  return {
    ...demoContractOrder(),
    lines: [{ sku: 'CAB-OUT', productName: 'Outdoor integrated cabinet', model: 'OIC-1600-AC', quantity: 1 }],
    technicalFilesComplete: false,
  }
}

export async function seedDemoCatalogue(db: Knex): Promise<{ products: number; customers: number }> {
  await db.transaction(async (trx) => {
    const products = createProductRepository(db)
    const customers = createCustomerRepository(db)
    for (const { on_hand, location, unit = 'pcs', special_modification_surcharge_pct = '15.00', ...product } of demoProducts) {
      await products.upsert({ ...product, unit, special_modification_surcharge_pct }, trx)
      await trx('stock').insert({ sku: product.sku, on_hand, location }).onConflict('sku').ignore()
    }
    for (const customer of demoCustomers) await customers.upsert(customer, trx)
    for (const held of demoGroupStock) await trx('group_stock').insert(held).onConflict(['company', 'sku']).ignore()
  })
  return { products: demoProducts.length, customers: demoCustomers.length }
}
