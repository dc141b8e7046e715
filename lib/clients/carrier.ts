/**
 * The carrier: books a shipment (tracking number back) and tracks it. `shipping-book` uses
 * `book`; a refusal (`booked: false`) becomes its BPMN error CARRIER_REFUSED. The live client
 * talks to CARRIER_API_URL (contract in lib/clients/README.md); the sandbox answers in-process.
 */
import { createHash } from 'node:crypto'
import { settings, type Config } from '../config.ts'
import { callJson, requiredSetting, requireString, type ServiceEndpoint } from './http.ts'

export interface Address {
  name: string
  line1: string
  line2?: string
  postalCode: string
  city: string
  /** ISO 3166-1 alpha-2, e.g. `CN`. */
  country: string
  phone?: string
}

export interface Parcel {
  weightKg: number
  lengthCm?: number
  widthCm?: number
  heightCm?: number
  /** What the parcel holds, for the label (e.g. the order line). */
  reference?: string
}

/** How the carrier moves the goods: as parcels, or as freight (pallets, a truck) when a package is too heavy for its parcel service. */
export type CarrierService = 'parcel' | 'freight'

/** The carrier's weight limits per package (CARRIER_PARCEL_MAX_KG, CARRIER_FREIGHT_MAX_KG). */
export interface CarrierLimits {
  parcelMaxKg: number
  freightMaxKg: number
}

export const carrierLimits = (config: Pick<Config, 'CARRIER_PARCEL_MAX_KG' | 'CARRIER_FREIGHT_MAX_KG'>): CarrierLimits => ({
  parcelMaxKg: config.CARRIER_PARCEL_MAX_KG,
  freightMaxKg: config.CARRIER_FREIGHT_MAX_KG,
})

/** The limits of the default configuration. */
export const defaultCarrierLimits: CarrierLimits = carrierLimits({
  CARRIER_PARCEL_MAX_KG: settings.CARRIER_PARCEL_MAX_KG.default,
  CARRIER_FREIGHT_MAX_KG: settings.CARRIER_FREIGHT_MAX_KG.default,
})

/**
 * The service a booking needs: freight when a package is heavier than the parcel service takes,
 * or a refusal when one is heavier than the carrier takes at all.
 */
export function serviceFor(parcels: Parcel[], limits: CarrierLimits): { service: CarrierService } | { refusal: Extract<BookingResult, { booked: false }> } {
  const heaviest = Math.max(0, ...parcels.map((parcel) => parcel.weightKg))
  if (heaviest > limits.freightMaxKg) {
    return { refusal: { booked: false, code: 'too_heavy', reason: `a package weighs ${heaviest} kg; the carrier takes at most ${limits.freightMaxKg} kg, even as freight` } }
  }
  return { service: heaviest > limits.parcelMaxKg ? 'freight' : 'parcel' }
}

export interface BookingRequest {
  /** Stable per job, e.g. `<processInstanceKey>:<elementId>`: the same key never books twice. */
  idempotencyKey: string
  orderNumber: string
  /** Omitted: the carrier's default pick-up address for this account. */
  shipFrom?: Address
  shipTo: Address
  parcels: Parcel[]
  /** Pick-up date, `YYYY-MM-DD`. */
  requestedDate: string
}

export type BookingResult =
  | { booked: true; carrier: string; trackingNumber: string; expectedDeliveryDate: string }
  | { booked: false; code: string; reason: string }

export interface TrackingResult {
  trackingNumber: string
  /** The carrier's status word, e.g. `booked`, `in-transit`, `delivered`, `exception`. */
  status: string
  /** When the shipment was delivered (ISO 8601), once it was. */
  deliveredAt?: string
}

/** The carrier as the workers see it, live or sandbox. */
export interface CarrierClient {
  /** Books a pick-up; a refusal is returned, a technical fault thrown (OutsideServiceError). */
  book(request: BookingRequest): Promise<BookingResult>
  track(trackingNumber: string): Promise<TrackingResult>
}

/**
 * The live carrier API at CARRIER_API_URL; each booking names its service (parcel or freight,
 * by CARRIER_PARCEL_MAX_KG), and a package above CARRIER_FREIGHT_MAX_KG is refused without a call.
 * @throws ConfigError when CARRIER_API_URL is not set.
 */
export function createCarrierClient(config: Config): CarrierClient {
  const endpoint: ServiceEndpoint = {
    service: 'carrier API',
    baseUrl: requiredSetting(config, 'CARRIER_API_URL'),
    apiKey: config.CARRIER_API_KEY,
    urlVariable: 'CARRIER_API_URL',
    keyVariable: 'CARRIER_API_KEY',
    timeoutMs: config.OUTSIDE_CALL_TIMEOUT_MS,
  }
  const limits = carrierLimits(config)
  return {
    async book({ idempotencyKey, ...booking }) {
      const chosen = serviceFor(booking.parcels, limits)
      if ('refusal' in chosen) return chosen.refusal
      const answer = await callJson(endpoint, { method: 'POST', path: '/bookings', idempotencyKey, body: { ...booking, service: chosen.service } })
      if (answer.kind === 'refused') return { booked: false, code: answer.code, reason: answer.reason }
      const field = (name: string) => requireString(endpoint, answer, name)
      return {
        booked: true,
        carrier: field('carrier'),
        trackingNumber: field('trackingNumber'),
        expectedDeliveryDate: field('expectedDeliveryDate'),
      }
    },
    async track(trackingNumber) {
      const path = `/shipments/${encodeURIComponent(trackingNumber)}`
      const answer = await callJson(endpoint, { method: 'GET', path })
      if (answer.kind === 'refused') {
        throw new Error(`carrier API refused tracking ${trackingNumber}: ${answer.code} (${answer.reason})`)
      }
      const deliveredAt = answer.body.deliveredAt
      return {
        trackingNumber: requireString(endpoint, answer, 'trackingNumber'),
        status: requireString(endpoint, answer, 'status'),
        ...(typeof deliveredAt === 'string' ? { deliveredAt } : {}),
      }
    },
  }
}

const sandboxCarrier = 'sandbox-carrier'

/** A short, stable hex digest: the same idempotency key always gives the same number. */
const digest = (text: string) => createHash('sha256').update(text).digest('hex')

/**
 * The in-process carrier of sandbox mode, with the configured limits. Deterministic: the tracking
 * number is derived from the idempotency key; a parcel arrives two days after the requested date,
 * freight (a package above `parcelMaxKg`: the demo's cabinets) four days after. It refuses, so
 * tests and demos can reach CARRIER_REFUSED, a package above `freightMaxKg` and a recipient whose
 * name contains "refuse".
 */
export function createSandboxCarrier(limits: CarrierLimits = defaultCarrierLimits): CarrierClient {
  return {
    async book({ idempotencyKey, shipTo, parcels, requestedDate }) {
      const chosen = serviceFor(parcels, limits)
      if ('refusal' in chosen) return chosen.refusal
      if (/refuse/i.test(shipTo.name)) {
        return { booked: false, code: 'no_capacity', reason: 'the sandbox carrier refuses recipients named "refuse"' }
      }
      const delivery = new Date(`${requestedDate}T00:00:00Z`)
      if (Number.isNaN(delivery.getTime())) throw new Error(`requestedDate must be YYYY-MM-DD, got "${requestedDate}"`)
      delivery.setUTCDate(delivery.getUTCDate() + (chosen.service === 'freight' ? 4 : 2))
      return {
        booked: true,
        carrier: sandboxCarrier,
        trackingNumber: `SBX${digest(idempotencyKey).slice(0, 12).toUpperCase()}`,
        expectedDeliveryDate: delivery.toISOString().slice(0, 10),
      }
    },
    async track(trackingNumber) {
      return { trackingNumber, status: 'in-transit' }
    },
  }
}
