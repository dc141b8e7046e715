/**
 * shipping-book — books the carrier through its API (D2 三.2(2); D5 三.1–2): order information
 * handed over, pick-up on the dispatch date, tracking number back.
 *
 * Reads:   shipment {orderNumber, dispatchDate?, deliveryAddress, shippingMethod?, packageCount?,
 *          grossWeightKg?}, order {customer {name, phone}, deliveryAddress?}
 * Writes:  booking {carrier, trackingNumber, bookedOn, expectedDeliveryDate}, which the task's
 *          output mapping copies into shipment
 * Errors:  CARRIER_REFUSED with carrierRefusal {carrier, code, reason} (shown by
 *          shipment.report-delay): the goods cannot go on time
 * Effects: the `shipments` row is inserted (or found) under `shipping-book:<element instance key>`
 *          before the carrier is called with that key, and held (`select … for update`) across the
 *          call, so two runs of one job at once book once; the booking (with the order status
 *          shipped) or the refusal, and the `order_events` row, commit together. A redelivered job
 *          is answered from the row without calling again; a booking after a reported delay is a
 *          new element instance, so a new one.
 */
import type { Knex } from 'knex'
import type { Address, BookingResult, Parcel } from '../lib/clients/carrier.ts'
import type { OutsideServices } from '../lib/clients/outside-services.ts'
import type { ShipmentRow } from '../lib/repositories/shipments.ts'
import { bpmnError, complete, stepKey, type Handler, type WorkerDeps } from '../lib/worker.ts'

export const taskType = 'shipping-book'

const text = { type: ['string', 'null'] } as const
const address = { type: ['string', 'object', 'null'] } as const

export const variablesSchema = {
  type: 'object',
  required: ['shipment'],
  properties: {
    shipment: {
      type: 'object',
      required: ['orderNumber'],
      properties: {
        orderNumber: { type: 'string', minLength: 1 },
        dispatchDate: text,
        shippingMethod: text,
        deliveryAddress: address,
        packageCount: { type: ['integer', 'null'], minimum: 1 },
        grossWeightKg: { type: ['number', 'null'], minimum: 0 },
      },
    },
    order: {
      type: 'object',
      properties: {
        customer: { type: ['object', 'null'], properties: { name: text, phone: text } },
        deliveryAddress: address,
      },
    },
  },
} as const

export const errorCodes = ['CARRIER_REFUSED'] as const
type ErrorCode = (typeof errorCodes)[number]

export interface ShipmentVariable {
  orderNumber: string
  dispatchDate?: string | null
  shippingMethod?: string | null
  deliveryAddress?: string | Partial<Address> | null
  packageCount?: number | null
  grossWeightKg?: number | null
}

export interface Variables {
  shipment: ShipmentVariable
  order?: { customer?: { name?: string | null; phone?: string | null } | null; deliveryAddress?: string | Partial<Address> | null }
}

/** What the diagram reads. */
export interface Booking {
  carrier: string
  trackingNumber: string
  bookedOn: string
  expectedDeliveryDate: string | null
}

/** Marks a row whose carrier call has not answered yet (the column is not null). */
export const pendingCarrier = 'pending'

/** A day in China (YYYY-MM-DD): the date the staff see on the booking. */
export const chinaDate = (at: Date = new Date()) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(at)

/**
 * The carrier's address from what the process holds: a structured address as is, or the free text
 * of the shipping instruction (到货地点) as its first line, the country defaulting to CN.
 */
export function toAddress(place: string | Partial<Address> | null | undefined, name: string, phone?: string | null): Address | undefined {
  if (place === null || place === undefined || place === '') return undefined
  const given: Partial<Address> = typeof place === 'string' ? { line1: place } : place
  if (!given.line1) return undefined
  return {
    name: given.name ?? name,
    line1: given.line1,
    ...(given.line2 ? { line2: given.line2 } : {}),
    postalCode: given.postalCode ?? '',
    city: given.city ?? '',
    country: given.country ?? 'CN',
    ...((given.phone ?? phone) ? { phone: (given.phone ?? phone)! } : {}),
  }
}

/** One parcel per package, the gross weight shared out (0 when nobody weighed the goods). */
export function toParcels(shipment: Pick<ShipmentVariable, 'packageCount' | 'grossWeightKg' | 'orderNumber'>): Parcel[] {
  const count = shipment.packageCount && shipment.packageCount > 0 ? shipment.packageCount : 1
  const each = shipment.grossWeightKg ? Math.round((shipment.grossWeightKg / count) * 10) / 10 : 0
  return Array.from({ length: count }, (_, i) => ({ weightKg: each, reference: `${shipment.orderNumber} ${i + 1}/${count}` }))
}

const dateOnly = (value: string | null | undefined) => (value && /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : null)

const bookingOf = (row: ShipmentRow, bookedOn: string): Booking => ({
  carrier: row.carrier,
  trackingNumber: row.tracking_number!,
  bookedOn,
  expectedDeliveryDate: row.expected_delivery_date ?? null,
})

type StepOutcome = { booked: true; booking: Booking } | { booked: false; carrierRefusal: { carrier: string | null; code: string; reason: string } }

/**
 * Stores an accepted booking on its row (the carrier, its tracking number and date replace the
 * pending values). `shipments` has no method for it yet: it belongs in lib/repositories/shipments.ts.
 */
export async function recordBooking(trx: Knex, shipmentNumber: string, booking: Extract<BookingResult, { booked: true }>): Promise<void> {
  await trx('shipments').where({ shipment_number: shipmentNumber }).update({
    carrier: booking.carrier,
    tracking_number: booking.trackingNumber,
    expected_delivery_date: booking.expectedDeliveryDate,
    booked_at: trx.fn.now(),
    updated_at: trx.fn.now(),
  })
}

/** The text a refused row keeps, and the reason read back from it. */
export const refusalText = (reason: string, code: string) => `carrier refused the booking: ${reason} (${code})`

export function createHandler(
  { shipments, orders, events, outside }: Pick<WorkerDeps, 'shipments' | 'orders' | 'events'> & { outside: Pick<OutsideServices, 'carrier'> },
  today = () => chinaDate(),
): Handler<Variables, ErrorCode> {
  return async (job) => {
    const { shipment, order } = job.variables
    const orderNumber = shipment.orderNumber
    const name = order?.customer?.name ?? orderNumber
    const place = shipment.deliveryAddress ?? order?.deliveryAddress
    const shipTo = toAddress(place, name, order?.customer?.phone)
    if (!shipTo) {
      throw new Error(`shipment.deliveryAddress is missing for order ${orderNumber}: set it (shipping instruction) in Cockpit, then retry`)
    }

    const { row: recorded } = await shipments.insertOrGet({
      order_number: orderNumber,
      carrier: pendingCarrier,
      shipping_method: shipment.shippingMethod ?? null,
      delivery_address: typeof place === 'string' ? { text: place } : (place as Record<string, unknown>),
      idempotency_key: `${taskType}:${job.elementInstanceKey}`,
    })

    // The row is held across the carrier call: a concurrent run of this booking waits, then finds
    // it booked (or refused) and answers from the row.
    const outcome = await shipments.hold(recorded.shipment_number, async (row, held) => {
      let answer: BookingResult | null = null
      if (row.status !== 'refused' && !row.tracking_number) {
        const dispatch = dateOnly(shipment.dispatchDate)
        const requestedDate = dispatch && dispatch > today() ? dispatch : today()
        answer = await outside.carrier.book({ idempotencyKey: row.idempotency_key, orderNumber, shipTo, parcels: toParcels(shipment), requestedDate })
      }

      return events.once<StepOutcome>(
        stepKey(job, orderNumber, 'D2 三.2(2)'),
        async (trx) => {
          if (answer?.booked === false) {
            await shipments.setStatus(row.shipment_number, 'refused', { damage_description: refusalText(answer.reason, answer.code) }, trx)
            return { outcome: 'refused', result: { booked: false, carrierRefusal: { carrier: null, code: answer.code, reason: answer.reason } } }
          }
          if (answer?.booked) {
            await recordBooking(trx, row.shipment_number, answer)
            await orders.advance(orderNumber, 'shipped', {}, trx)
            const booking = { carrier: answer.carrier, trackingNumber: answer.trackingNumber, bookedOn: today(), expectedDeliveryDate: answer.expectedDeliveryDate }
            return { outcome: 'booked', result: { booked: true, booking } }
          }
          if (row.status === 'refused') {
            const reason = (row.damage_description ?? 'the carrier refused the booking').replace(/^carrier refused the booking: /, '')
            return { outcome: 'refused', result: { booked: false, carrierRefusal: { carrier: null, code: 'refused', reason } } }
          }
          await orders.advance(orderNumber, 'shipped', {}, trx)
          return { outcome: 'booked', result: { booked: true, booking: bookingOf(row, chinaDate(new Date(row.booked_at))) } }
        },
        held,
      )
    })

    if (outcome.booked) return complete({ booking: outcome.booking })
    return bpmnError('CARRIER_REFUSED', `carrier refused the booking of ${orderNumber}: ${outcome.carrierRefusal.reason}`, {
      carrierRefusal: outcome.carrierRefusal,
    })
  }
}
