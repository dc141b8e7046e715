/**
 * The outside services the workers call — carrier, payment provider, customer notifications —
 * chosen once by OUTSIDE_SERVICES_MODE: `sandbox` (the default: everything answered in-process,
 * so `npm start` runs whole orders on one machine) or `live` (the configured endpoints).
 */
import { ConfigError, settings, type Config } from '../config.ts'
import { log } from '../log.ts'
import { carrierLimits, createCarrierClient, createSandboxCarrier, type CarrierClient } from './carrier.ts'
import { createNotifierClient, createSandboxNotifier, type NotifierClient } from './notifier.ts'
import { createPaymentClient, createSandboxPayment, type PaymentClient } from './payment.ts'

/** What a worker factory may ask for (part of the workers' dependencies). */
export interface OutsideServices {
  mode: 'sandbox' | 'live'
  carrier: CarrierClient
  payment: PaymentClient
  notifier: NotifierClient
}

/** Settings that live mode cannot do without (API keys are optional: some services authenticate otherwise). */
const requiredWhenLive = ['CARRIER_API_URL', 'PAYMENT_API_URL', 'NOTIFY_WEBHOOK_URL', 'NOTIFY_WEBHOOK_SECRET'] as const

/**
 * Checks that live mode has what it needs; call it at start-up, next to `loadConfig`.
 * @throws ConfigError naming every missing variable.
 */
export function checkOutsideServices(config: Config): void {
  if (config.OUTSIDE_SERVICES_MODE !== 'live') return
  const missing = requiredWhenLive.filter((name) => !config[name])
  if (missing.length > 0) {
    throw new ConfigError(
      missing.map((name) => `${name}: required when OUTSIDE_SERVICES_MODE=live (${settings[name].description})`),
    )
  }
}

/**
 * The three clients for the configured mode.
 * @throws ConfigError when live mode lacks a required variable (see `checkOutsideServices`).
 */
export function createOutsideServices(config: Config): OutsideServices {
  checkOutsideServices(config)
  if (config.OUTSIDE_SERVICES_MODE === 'live') {
    return {
      mode: 'live',
      carrier: createCarrierClient(config),
      payment: createPaymentClient(config),
      notifier: createNotifierClient(config),
    }
  }
  log('info', 'outside-services', 'sandbox mode: carrier, payment and notifications are answered in-process')
  return { mode: 'sandbox', carrier: createSandboxCarrier(carrierLimits(config)), payment: createSandboxPayment(), notifier: createSandboxNotifier() }
}
