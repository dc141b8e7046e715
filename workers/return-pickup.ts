/**
 * return-pickup — arranges the return method agreed at the review (D3 退货 4): a courier pickup is
 * booked with the carrier from the customer's address to the returns desk; a site visit (collection
 * at the customer) or a drop-off at an agreed place is recorded for the staff to carry out.
 *
 * Reads:   returnRequest {returnNumber, orderNumber, items?, reason?, reasonKind?, pickupAddress?},
 *          returnReview {returnMethod: courier-pickup | site-visit | drop-off}
 * Writes:  pickup {returnMethod, carrier, trackingNumber, pickupDate, expectedArrivalDate}
 *          (carrier fields null unless a courier was booked)
 * Errors:  none caught by the diagram: a carrier refusal is thrown, so the job becomes an
 *          incident (agree another method in returnReview.returnMethod, then retry)
 * Effects: the `returns` row is recorded (status approved); a courier pickup is a `shipments` row
 *          under `return-pickup:<returnNumber>`, inserted before the carrier is called with that
 *          key and held (`select … for update`) across the call, so a return is picked up once
 *          whatever the retries, and two runs of one job at once book once. The pickup address is
 *          returnRequest.pickupAddress, else the order's delivery address (orders.data); the
 *          goods go to RETURNS_ADDRESS.
 */
import type { Knex } from 'knex'
import type { Address, BookingResult } from '../lib/clients/carrier.ts'
import type { OutsideServices } from '../lib/clients/outside-services.ts'
import { complete, stepKey, type Handler, type WorkerDeps } from '../lib/worker.ts'
import { chinaDate, pendingCarrier, recordBooking, toAddress } from './shipping-book.ts'
import { returnRequestSchema } from '../lib/schemas.ts'

export const taskType = 'return-pickup'

export const returnMethods = ['courier-pickup', 'site-visit', 'drop-off'] as const
export type ReturnMethod = (typeof returnMethods)[number]

export const variablesSchema = {
  type: 'object',
  required: ['returnRequest', 'returnReview'],
  properties: {
    returnRequest: {
      ...returnRequestSchema,
      properties: { ...returnRequestSchema.properties, pickupAddress: { type: ['string', 'object', 'null'] } },
    },
    returnReview: {
      type: 'object',
      required: ['returnMethod'],
      properties: { returnMethod: { enum: returnMethods } },
    },
  },
} as const

export const errorCodes = [] as const

export interface Variables {
  returnRequest: {
    returnNumber: string
    orderNumber: string
    items?: unknown[] | null
    reason?: string | null
    reasonKind?: string | null
    pickupAddress?: string | Partial<Address> | null
  }
  returnReview: { returnMethod: ReturnMethod }
}

export interface Pickup {
  returnMethod: ReturnMethod
  carrier: string | null
  trackingNumber: string | null
  pickupDate: string | null
  expectedArrivalDate: string | null
}

/**
 * Where courier pickups go: the RETURNS_ADDRESS setting (lib/config.ts), written
 * `name|street|postal code|city|country code[|phone]`.
 */
export function returnsAddressOf(setting: string): Address {
  const [name, line1, postalCode, city, country, phone] = setting.split('|').map((part) => part.trim())
  if (!name || !line1 || !city || !/^[A-Z]{2}$/.test(country ?? '')) {
    throw new Error(`RETURNS_ADDRESS must read name|street|postal code|city|country code[|phone], got "${setting}": correct it in the environment and restart the workers`)
  }
  return { name, line1, postalCode: postalCode ?? '', city, country: country!, ...(phone ? { phone } : {}) }
}

/** A booked pickup and, when the carrier was asked just now, the booking still to store. */
interface CourierPickup {
  pickup: Pickup
  booked?: { shipmentNumber: string; answer: Extract<BookingResult, { booked: true }> }
}

interface OrderData {
  customer?: { name?: string | null; phone?: string | null } | null
  deliveryAddress?: string | Partial<Address> | null
}

export function createHandler(
  {
    returns,
    orders,
    shipments,
    events,
    outside,
    config,
  }: Pick<WorkerDeps, 'returns' | 'orders' | 'shipments' | 'events' | 'config'> & { outside: Pick<OutsideServices, 'carrier'> },
  { returnsAddress = returnsAddressOf(config.RETURNS_ADDRESS), today = () => chinaDate() }: { returnsAddress?: Address; today?: () => string } = {},
): Handler<Variables, never> {
  /** The history row and the return recorded (status approved), with the booking when one was just made. */
  const record = (job: Parameters<Handler<Variables, never>>[0], pickup: Pickup, booked: CourierPickup['booked'], outer?: Knex) => {
    const request = job.variables.returnRequest
    return events.once(
      stepKey(job, request.orderNumber, 'D3 退货 4'),
      async (trx) => {
        if (booked) await recordBooking(trx, booked.shipmentNumber, booked.answer)
        await returns.insertOrGet(
          {
            return_number: request.returnNumber,
            order_number: request.orderNumber,
            reason: request.reason ?? null,
            reason_kind: request.reasonKind ?? null,
            items: request.items ?? [],
          },
          trx,
        )
        await returns.setStatus(request.returnNumber, 'approved', trx)
        return { outcome: pickup.returnMethod, result: { pickup } }
      },
      outer,
    )
  }

  /**
   * Books the courier once per return: the `shipments` row is held (`select … for update`) across
   * the carrier call and the recording, so a second run of the job at the same time waits and
   * then answers from the booking. A refusal is stored on the row and thrown (an incident).
   */
  async function bookCourier(job: Parameters<Handler<Variables, never>>[0]): Promise<{ pickup: Pickup }> {
    const request = job.variables.returnRequest
    const order = await orders.find(request.orderNumber)
    const data = (order?.data ?? {}) as OrderData
    const name = data.customer?.name ?? order?.customer_name ?? request.orderNumber
    const place = request.pickupAddress ?? data.deliveryAddress
    const shipFrom = toAddress(place, name, data.customer?.phone)
    if (!shipFrom) {
      throw new Error(
        `no pickup address for return ${request.returnNumber}: set returnRequest.pickupAddress (or the delivery address of order ${request.orderNumber}) in Cockpit, then retry`,
      )
    }
    const { row: recorded } = await shipments.insertOrGet({
      order_number: request.orderNumber,
      carrier: pendingCarrier,
      shipping_method: 'express',
      delivery_address: returnsAddress as unknown as Record<string, unknown>,
      idempotency_key: `${taskType}:${request.returnNumber}`,
    })
    const outcome = await shipments.hold(recorded.shipment_number, async (row, held): Promise<{ refused: string } | { pickup: Pickup }> => {
      if (row.status === 'refused') return { refused: row.damage_description ?? `carrier refused the return pickup of ${request.returnNumber}` }
      const pickupDate = today()
      let answer: BookingResult
      if (row.tracking_number) {
        answer = { booked: true, carrier: row.carrier, trackingNumber: row.tracking_number, expectedDeliveryDate: row.expected_delivery_date ?? '' }
      } else {
        answer = await outside.carrier.book({
          idempotencyKey: row.idempotency_key,
          orderNumber: request.orderNumber,
          shipFrom,
          shipTo: returnsAddress,
          parcels: [{ weightKg: 0, reference: `return ${request.returnNumber}` }],
          requestedDate: pickupDate,
        })
      }
      if (!answer.booked) {
        const reason = `carrier refused the return pickup of ${request.returnNumber}: ${answer.reason} (${answer.code})`
        await shipments.setStatus(row.shipment_number, 'refused', { damage_description: reason }, held)
        return { refused: reason }
      }
      const pickup: Pickup = {
        returnMethod: 'courier-pickup',
        carrier: answer.carrier,
        trackingNumber: answer.trackingNumber,
        pickupDate,
        expectedArrivalDate: answer.expectedDeliveryDate || null,
      }
      const booked = row.tracking_number ? undefined : { shipmentNumber: row.shipment_number, answer }
      return record(job, pickup, booked, held)
    })
    if ('refused' in outcome) throw new Error(`${outcome.refused}; agree another return method (returnReview.returnMethod) in Cockpit, then retry`)
    return outcome
  }

  return async (job) => {
    const method = job.variables.returnReview.returnMethod
    const result =
      method === 'courier-pickup'
        ? await bookCourier(job)
        : await record(job, { returnMethod: method, carrier: null, trackingNumber: null, pickupDate: null, expectedArrivalDate: null }, undefined)
    return complete(result)
  }
}
