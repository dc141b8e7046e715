/**
 * The one place every environment variable of order-flow is declared: its type, default and
 * meaning. `.env.example` lists the same variables; `loadConfig` checks them at start-up and
 * stops the program with a message naming the variable and what was expected.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv } from 'ajv'
import type formatsPlugin from 'ajv-formats'
import dotenv from 'dotenv'

/** Root folder of the project checkout. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

type Setting =
  | { type: 'string'; default?: string; description: string; pattern?: string; format?: string; enum?: string[] }
  | { type: 'integer'; default: number; description: string; minimum: number; maximum: number }
  | { type: 'number'; default: number; description: string; minimum: number; maximum: number }
  | { type: 'boolean'; default: boolean; description: string }

/** Every variable: name → declaration. Keep `.env.example` in step with this table. */
export const settings = {
  DATA_DIR: {
    type: 'string',
    default: 'data',
    description: 'Folder (relative to the project root, or absolute) for the engine distribution, its state and logs.',
  },
  DATABASE_URL: {
    type: 'string',
    default: 'pglite:data/pglite',
    pattern: '^(postgres(ql)?://|pglite:)',
    description: 'Order database: a PostgreSQL URL (postgres://user@host:5432/name; created when missing), or pglite:<folder> for the embedded PGlite database (the default, in the data folder; one process at a time).',
  },
  JAVA_HOME: {
    type: 'string',
    description: 'A Java 17+ JDK for building and running the engine; when unset, the newest JDK 17+ under /usr/lib/jvm (or the java on the PATH) is used.',
  },
  ENGINE_URL: {
    type: 'string',
    default: 'http://127.0.0.1:8080',
    pattern: '^https?://[a-zA-Z0-9.-]+(:[0-9]{1,5})?$|^https?://\\[[0-9a-fA-F:]+\\](:[0-9]{1,5})?$',
    description: 'Where the engine answers: scheme://host:port, no path (REST API at /engine-rest; Tasklist, Cockpit and Admin at /operaton). npm run engine starts it on this port, bound to 127.0.0.1.',
  },
  ENGINE_DATABASE_URL: {
    type: 'string',
    default: 'h2:engine/h2/operaton',
    pattern: '^(h2:.+|postgres(ql)?://.+)$',
    description: 'Engine database: h2:<file path> (relative to DATA_DIR; the embedded default) or a PostgreSQL URL postgres://user[:password]@host:port/name for the engine in its own database (created when missing).',
  },
  ENGINE_NODES: {
    type: 'integer',
    default: 1,
    minimum: 1,
    maximum: 8,
    description: 'Engine nodes npm start and npm run engine run as one cluster, on consecutive ports from ENGINE_URL\'s (8080, 8081, ...), each with its own log; more than 1 needs ENGINE_DATABASE_URL on PostgreSQL (the nodes share it). The workers long-poll every node; the API and the outbox relay use any node that answers.',
  },
  ENGINE_HEAP_MB: {
    type: 'integer',
    default: 512,
    minimum: 256,
    maximum: 16384,
    description: 'Maximum heap of the engine JVM, in MiB.',
  },
  ENGINE_ADMIN_USER: {
    type: 'string',
    default: 'demo',
    pattern: '^[a-zA-Z0-9][a-zA-Z0-9_-]*$',
    description: 'The engine\'s administrator (Cockpit, Admin, deployments, set-up of users and groups); created at the first engine start.',
  },
  ENGINE_ADMIN_PASSWORD: {
    type: 'string',
    default: 'demo',
    description: 'Password of ENGINE_ADMIN_USER; secret, replace it outside a demo.',
  },
  ENGINE_WORKER_USER: {
    type: 'string',
    default: 'order-flow-worker',
    pattern: '^[a-zA-Z0-9][a-zA-Z0-9_-]*$',
    description: 'Technical engine user of the workers (fetch, complete, fail external tasks).',
  },
  ENGINE_WORKER_PASSWORD: {
    type: 'string',
    default: 'worker-demo',
    description: 'Password of ENGINE_WORKER_USER; secret.',
  },
  ENGINE_API_USER: {
    type: 'string',
    default: 'order-flow-api',
    pattern: '^[a-zA-Z0-9][a-zA-Z0-9_-]*$',
    description: 'Technical engine user of the HTTP API (start instances, correlate messages, read history).',
  },
  ENGINE_API_PASSWORD: {
    type: 'string',
    default: 'api-demo',
    description: 'Password of ENGINE_API_USER; secret.',
  },
  STAFF_PASSWORD: {
    type: 'string',
    default: 'staff-demo',
    pattern: '^.{8,}$',
    description: 'Password of the staff users (one per role, and auditor) created in the engine for Tasklist and Cockpit; replace it outside a demo.',
  },
  WORKER_MAX_JOBS_ACTIVE: {
    type: 'integer',
    default: 16,
    minimum: 1,
    maximum: 1024,
    description: 'External tasks one worker process handles at once; it fetches no more than it has free slots for.',
  },
  WORKER_JOB_TIMEOUT_MS: {
    type: 'integer',
    default: 60000,
    minimum: 1000,
    maximum: 86400000,
    description: 'External-task lock time; the runtime extends the lock while a handler runs, so a task is handed out again only when its worker is gone.',
  },
  WORKER_POLL_INTERVAL_MS: {
    type: 'integer',
    default: 5000,
    minimum: 500,
    maximum: 600000,
    description: 'How long one fetch-and-lock long poll is held open by the engine (asyncResponseTimeout). A stopping worker waits up to this long for its open poll to return, so keep it short.',
  },
  BENCH_ORDERS: {
    type: 'integer',
    default: 60,
    minimum: 1,
    maximum: 100000,
    description: 'Orders `npm run bench` drives through each of its phases (its --orders flag wins).',
  },
  LOG_LEVEL: {
    type: 'string',
    default: 'info',
    enum: ['debug', 'info', 'warn', 'error'],
    description: 'Least severe log level written.',
  },
  OUTSIDE_SERVICES_MODE: {
    type: 'string',
    default: 'sandbox',
    enum: ['sandbox', 'live'],
    description: 'sandbox: carrier, payment and notification calls are answered in-process (nothing leaves the machine); live: the real services below.',
  },
  CARRIER_API_URL: {
    type: 'string',
    format: 'uri',
    description: 'Base URL of the carrier booking API (POST /bookings, GET /shipments/{trackingNumber}); required in live mode.',
  },
  CARRIER_API_KEY: {
    type: 'string',
    description: 'Bearer key for the carrier API; secret, set it in the environment only.',
  },
  CARRIER_PARCEL_MAX_KG: {
    type: 'number',
    default: 31.5,
    minimum: 0.1,
    maximum: 1000,
    description: 'Heaviest package the carrier takes as a parcel, in kg; a shipment with a heavier package is booked as freight (service "freight").',
  },
  CARRIER_FREIGHT_MAX_KG: {
    type: 'number',
    default: 3000,
    minimum: 1,
    maximum: 100000,
    description: 'Heaviest package the carrier takes at all (as freight), in kg; a heavier one is refused before the carrier is called (CARRIER_REFUSED, code too_heavy).',
  },
  PAYMENT_API_URL: {
    type: 'string',
    format: 'uri',
    description: 'Base URL of the payment provider API (POST /refunds); required in live mode.',
  },
  PAYMENT_API_KEY: {
    type: 'string',
    description: 'Bearer key for the payment provider API; secret, set it in the environment only.',
  },
  NOTIFY_WEBHOOK_URL: {
    type: 'string',
    format: 'uri',
    description: 'URL that customer notifications are POSTed to; required in live mode.',
  },
  NOTIFY_WEBHOOK_SECRET: {
    type: 'string',
    description: 'HMAC-SHA256 key signing each webhook body (X-Order-Flow-Signature); secret, required in live mode.',
  },
  OUTSIDE_CALL_TIMEOUT_MS: {
    type: 'integer',
    default: 10000,
    minimum: 50,
    maximum: 300000,
    description: 'Time one call to the carrier, payment or notification service may take before it counts as failed (and the job is retried).',
  },
  RETURNS_ADDRESS: {
    type: 'string',
    default: 'Returns desk|Finished-goods store|510000|Guangzhou|CN',
    pattern: '^[^|]+\\|[^|]+\\|[^|]*\\|[^|]+\\|[A-Z]{2}(\\|[^|]+)?$',
    description: 'Where return-pickup sends courier pickups (D3 退货 4): name|street|postal code|city|country code[|phone], e.g. Returns desk|Finished-goods store|510000|Guangzhou|CN.',
  },
  API_HOST: {
    type: 'string',
    default: '127.0.0.1',
    description: 'Address the HTTP API listens on (127.0.0.1: this machine only).',
  },
  API_PORT: {
    type: 'integer',
    default: 3000,
    minimum: 1,
    maximum: 65535,
    description: 'Port of the HTTP API for integrators and auditors (OpenAPI and Swagger UI at /docs).',
  },
  API_KEYS: {
    type: 'string',
    default:
      'integrator:bb161c2a4293a5146b82316e8685ffa72f86732be7c1abd999a056e9312c86a0,' +
      'auditor:f319d1152d167bf6e2cd2a5b55d1f46fdac942b139f44054f902f8423226bd78,' +
      'admin:ac5bb3526d3be432ba19fb1fc0712d350c160bd2169cd24401c9fcaeaac2d860',
    pattern: '^(integrator|auditor|admin):[0-9a-f]{64}(,(integrator|auditor|admin):[0-9a-f]{64})*$',
    description: 'API keys as role:sha256-hex-of-the-key, comma-separated; the default holds the demo keys demo-integrator-key, demo-auditor-key and demo-admin-key (replace them outside a demo).',
  },
  API_BODY_LIMIT_BYTES: {
    type: 'integer',
    default: 65536,
    minimum: 1024,
    maximum: 10485760,
    description: 'Largest request body the API accepts; a larger one is refused with 413.',
  },
  AUDITOR_IDLE_MINUTES: {
    type: 'integer',
    default: 30,
    minimum: 1,
    maximum: 1440,
    description: 'Minutes without a request after which an auditor\'s session in the auditor view (/auditor/) ends and the auditor logs in again.',
  },
  SHOP_CUSTOMER_REPLY_DAYS: {
    type: 'integer',
    default: 3,
    minimum: 1,
    maximum: 60,
    description: 'Days a shop order waits for the customer to supply missing information before it is closed (D6 2).',
  },
  SHOP_AUTO_CONFIRM_DAYS: {
    type: 'integer',
    default: 7,
    minimum: 0,
    maximum: 60,
    description: 'Days after delivery before a shop order\'s receipt is confirmed automatically (D3 8, D5 四).',
  },
} as const satisfies Record<string, Setting>

type Settings = typeof settings
type ValueOf<S> = S extends { type: 'integer' | 'number' } ? number : S extends { type: 'boolean' } ? boolean : string
/** The checked configuration: every variable, typed; optional ones without default may be undefined. */
export type Config = {
  readonly [K in keyof Settings]: Settings[K] extends { default: unknown }
    ? ValueOf<Settings[K]>
    : ValueOf<Settings[K]> | undefined
}

/** Thrown for configuration that does not match `settings`; its message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, strict: true })
// ajv-formats is CommonJS; require gives its function directly, which ESM import does not.
const addFormats = createRequire(import.meta.url)('ajv-formats') as typeof formatsPlugin.default
addFormats(ajv)
const validate = ajv.compile({
  type: 'object',
  properties: Object.fromEntries(
    Object.entries(settings).map(([name, { description: _description, ...schema }]) => [name, schema]),
  ),
})

function expected(setting: Setting): string {
  if (setting.type === 'integer' || setting.type === 'number') return `${setting.type === 'integer' ? 'an integer' : 'a number'} from ${setting.minimum} to ${setting.maximum}`
  if (setting.type === 'boolean') return 'true or false'
  if (setting.enum) return `one of ${setting.enum.join(', ')}`
  if (setting.format === 'uri') return 'an absolute URL such as http://127.0.0.1:8080'
  if (setting.pattern) return `a value matching ${setting.pattern}`
  return 'a string'
}

/**
 * Reads the environment (after `.env` in the project root, which never overrides a variable
 * already set), checks it against `settings` and returns the typed configuration.
 * @throws ConfigError naming each variable that is wrong and what it expects.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, envFile = path.join(projectRoot, '.env')): Config {
  const fromFile = existsSync(envFile) ? dotenv.parse(readFileSync(envFile, 'utf8')) : {}
  const raw: Record<string, unknown> = {}
  for (const name of Object.keys(settings)) {
    const value = env[name] ?? fromFile[name]
    if (value !== undefined && value !== '') raw[name] = value
  }
  if (!validate(raw)) {
    const problems: string[] = (validate.errors ?? []).map((error) => {
      const name = error.instancePath.slice(1) as keyof Settings
      const setting: Setting | undefined = settings[name]
      const got = JSON.stringify(String(env[name] ?? fromFile[name]))
      return setting ? `${name}: expected ${expected(setting)}, got ${got}` : `${name}: ${error.message}`
    })
    throw new ConfigError([...new Set(problems)])
  }
  if ((raw.ENGINE_NODES as number) > 1 && String(raw.ENGINE_DATABASE_URL).startsWith('h2:')) {
    throw new ConfigError([`ENGINE_NODES: ${raw.ENGINE_NODES} engine nodes share one database, which must be PostgreSQL; ENGINE_DATABASE_URL is the H2 file "${raw.ENGINE_DATABASE_URL}" (one engine per file). Set ENGINE_DATABASE_URL=postgres://... or ENGINE_NODES=1.`])
  }
  const port = urlPort(String(raw.ENGINE_URL))
  if (port + (raw.ENGINE_NODES as number) - 1 > 65535) {
    throw new ConfigError([`ENGINE_NODES: ${raw.ENGINE_NODES} nodes from port ${port} (ENGINE_URL) run past port 65535; choose a lower ENGINE_URL port.`])
  }
  return Object.freeze(raw) as Config
}

/** The port of a URL, its scheme's default when it names none. */
export function urlPort(text: string): number {
  const url = new URL(text)
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80))
}

/** The node numbers of the engine cluster: 1 … ENGINE_NODES. */
export const engineNodes = (config: Pick<Config, 'ENGINE_NODES'>) => Array.from({ length: config.ENGINE_NODES }, (_, i) => i + 1)

/**
 * The base URL of every engine node: ENGINE_URL's port for node 1, the next ports for the others
 * (ENGINE_NODES). Node n is at index n − 1.
 */
export function engineNodeUrls(config: Pick<Config, 'ENGINE_URL' | 'ENGINE_NODES'>): string[] {
  const port = urlPort(config.ENGINE_URL)
  return engineNodes(config).map((node) => {
    const url = new URL(config.ENGINE_URL)
    url.port = String(port + node - 1)
    return url.origin
  })
}

/** Absolute path of the data folder. */
export function dataDir(config: Config): string {
  return path.resolve(projectRoot, config.DATA_DIR)
}

/**
 * Runs `main` with the loaded configuration; bad configuration — found while loading, or by a
 * further check `main` makes (e.g. live outside services without their URLs) — prints its
 * message and exits 2, so every entry point reports it the same way.
 */
export async function withConfig(main: (config: Config) => Promise<void>): Promise<void> {
  try {
    await main(loadConfig())
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message)
      process.exit(2)
    }
    throw error
  }
}
