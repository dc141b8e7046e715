/** Every repository over one connection, as the workers receive them in `WorkerDeps`. */
import type { Knex } from 'knex'
import { createAfterSalesCaseRepository } from './after-sales-cases.ts'
import { createContractRepository } from './contracts.ts'
import { createCustomerRepository } from './customers.ts'
import { createDailyReportRepository } from './daily-reports.ts'
import { createEventOutboxRepository } from './event-outbox.ts'
import { createInspectionRepository } from './inspections.ts'
import { createInvoiceRepository } from './invoices.ts'
import { createNotificationRepository } from './notifications.ts'
import { createOrderEventRepository } from './order-events.ts'
import { createOrderLineRepository } from './order-lines.ts'
import { createOrderRepository } from './orders.ts'
import { createPaymentRepository } from './payments.ts'
import { createProductionOrderRepository } from './production-orders.ts'
import { createProductRepository } from './products.ts'
import { createPurchaseRequestRepository } from './purchase-requests.ts'
import { createQuoteRepository } from './quotes.ts'
import { createRefundRepository } from './refunds.ts'
import { createReturnRepository } from './returns.ts'
import { createReviewRepository } from './reviews.ts'
import { createServiceLevelDeadlineRepository } from './service-level-deadlines.ts'
import { createShipmentRepository } from './shipments.ts'
import { createStockReservationRepository } from './stock-reservations.ts'
import { createStockRepository } from './stock.ts'

export function createRepositories(db: Knex) {
  return {
    orders: createOrderRepository(db),
    events: createOrderEventRepository(db),
    customers: createCustomerRepository(db),
    products: createProductRepository(db),
    stock: createStockRepository(db),
    stockReservations: createStockReservationRepository(db),
    orderLines: createOrderLineRepository(db),
    reviews: createReviewRepository(db),
    quotes: createQuoteRepository(db),
    contracts: createContractRepository(db),
    productionOrders: createProductionOrderRepository(db),
    purchaseRequests: createPurchaseRequestRepository(db),
    inspections: createInspectionRepository(db),
    shipments: createShipmentRepository(db),
    invoices: createInvoiceRepository(db),
    payments: createPaymentRepository(db),
    returns: createReturnRepository(db),
    refunds: createRefundRepository(db),
    notifications: createNotificationRepository(db),
    afterSalesCases: createAfterSalesCaseRepository(db),
    serviceLevelDeadlines: createServiceLevelDeadlineRepository(db),
    dailyReports: createDailyReportRepository(db),
    eventOutbox: createEventOutboxRepository(db),
  }
}

export type Repositories = ReturnType<typeof createRepositories>
