import { ScopewardError } from './errors.js'
import { formatDuration, parseDuration } from './domain/duration.js'
import { DEFAULT_LIMITS, type AbuseLimits } from './graphql/abuse-limits.js'
import { cidrProblem } from './cidr.js'
import { webhookConfig, type WebhookConfig } from './webhooks/settings.js'
import { readLeakReportKeys, type LeakReportKeys } from './http/leak-report-keys.js'
import { DEFAULT_TOKEN_PREFIX, TOKEN_PREFIX_RE } from './tokens/opaque-token.js'

/** Every setting of a running server, validated at start. */
export interface Config {
  db: string
  port: number
  host: string
  /** The `iss` of JWTs and the base of the metadata document; defaults to http://host:port. */
  issuer: string | null
  masterKey: string | null
  logLevel: string
  bodyLimitBytes: number
  usageFlushMs: number
  maxTokenLifetimeMs: number | null
  /** The longest a JWT access token may live (SCOPEWARD_MAX_JWT_LIFETIME): longer is refused; it bounds how long an old signing key stays published. */
  maxJwtLifetimeMs: number
  /** How long a new signing key is published in the JWKS before it signs (SCOPEWARD_KEY_ACTIVATION_DELAY); 0: at once. */
  keyActivationDelayMs: number
  /** How often the signing keys and the scope catalogue are re-read from the database, whatever notifications say. */
  cacheRefreshMs: number
  /** Introspection and field suggestions: on unless NODE_ENV=production (then opt in). */
  introspection: boolean
  /** `scopeRequirements` and `requiredScopes` without a token (default: any valid token). */
  publicScopeRequirements: boolean
  limits: AbuseLimits
  /** Proxies whose X-Forwarded-For is believed, as addresses and CIDR ranges (`10.0.0.0/8`); empty = the header is ignored. */
  trustedProxies: ReadonlySet<string>
  /** Browser origins allowed by CORS; empty = no CORS headers at all. */
  corsOrigins: ReadonlySet<string>
  /** Failed authentications allowed per client address per minute (burst = the same number). */
  authFailuresPerMinute: number
  /** Requests to /oauth/token allowed per client id per minute. */
  tokenRequestsPerMinute: number
  /** Request headers must arrive within this many ms of the connection's request starting (enforced within a second). */
  headersTimeoutMs: number
  /** Open connections allowed per client address (trusted proxies exempt); more are closed at once. */
  maxConnectionsPerAddress: number
  metrics: boolean
  /** Redis for per-token rate limits shared by every instance (SCOPEWARD_REDIS_URL); null: counted per instance, in memory. */
  redisUrl: string | null
  /** Prefix of every rate-limit key in Redis (SCOPEWARD_REDIS_PREFIX), so deployments can share one Redis. */
  redisPrefix: string
  /** While Redis cannot be asked: `open` lets requests through, `closed` refuses them with 429 (SCOPEWARD_RATE_LIMIT_FAIL). */
  rateLimitFail: 'open' | 'closed'
  /** Webhook delivery and expiry warnings (SCOPEWARD_WEBHOOK_*, SCOPEWARD_EXPIRY_WARNINGS): webhooks/settings.ts. */
  webhooks: WebhookConfig
  /** The prefix of the opaque tokens this instance issues and accepts (SCOPEWARD_TOKEN_PREFIX), without its `_`. */
  tokenPrefix: string
  /** Public keys that sign GitHub secret-scanning leak reports (SCOPEWARD_LEAK_REPORT_KEYS), by identifier; empty: such reports are refused. */
  leakReportKeys: LeakReportKeys
  /** GraphQL subscriptions over WebSocket (docs/subscriptions.md). */
  subscriptions: SubscriptionSettings
  /** What runs GraphQL operations over HTTP (SCOPEWARD_EXECUTOR): graphql-jit compiled queries, or graphql-js `execute` (docs/executor.md). */
  executor: 'jit' | 'graphql-js'
}

/** Limits and timers of the WebSocket subscriptions (SCOPEWARD_SUBSCRIPTION*). */
export interface SubscriptionSettings {
  /** Open subscription sockets per token; the next is closed with 4429. */
  perToken: number
  /** Open subscription sockets per client address (trusted proxies resolved); the next upgrade is refused with 429. */
  perAddress: number
  /** How often each socket's token is checked again (revoked, expired, scope lost: closed with 4403). */
  recheckMs: number
  /** How often the audit log is read for events no notice announced (another instance's issuance, the command line). */
  pollMs: number
}

export const DEFAULTS = {
  db: './data/scopeward.db',
  port: 4000,
  host: '127.0.0.1',
  logLevel: 'info',
  bodyLimitBytes: 100 * 1024,
  usageFlushMs: 5000,
  maxJwtLifetimeMs: 3_600_000,
  /** The JWKS is cacheable for 300 s: a new key is published for that long, plus a minute for clocks and propagation, before it signs. */
  keyActivationDelayMs: 360_000,
  cacheRefreshMs: 5000,
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

type Source = Record<string, string | undefined>

/** Reads settings from flags (first) and the environment; a bad value stops the server with a message naming it. */
export function loadConfig(flags: Partial<Record<'db' | 'port' | 'host', string>>, env: Source = process.env): Config {
  const port = integer(flags.port ?? env.PORT, '--port / PORT', DEFAULTS.port, 0, 65535)
  const masterKey = env.SCOPEWARD_MASTER_KEY || null
  if (masterKey !== null && Buffer.from(masterKey, 'base64url').length !== 32) {
    throw invalid('SCOPEWARD_MASTER_KEY', 'must be 32 random bytes, base64url-encoded (e.g. `openssl rand -base64 32 | tr "+/" "-_" | tr -d "="`)')
  }
  const issuer = env.SCOPEWARD_ISSUER ?? null
  if (issuer !== null && !/^https?:\/\/[^\s#?]+$/.test(issuer)) throw invalid('SCOPEWARD_ISSUER', 'must be an http(s) URL without query or fragment')
  const logLevel = env.LOG_LEVEL ?? DEFAULTS.logLevel
  if (!LOG_LEVELS.includes(logLevel)) throw invalid('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`)
  const host = flags.host ?? env.HOST ?? DEFAULTS.host
  if (!/^[A-Za-z0-9.:\-[\]]+$/.test(host)) throw invalid('--host / HOST', 'must be a host name or IP address')
  const maxLifetime = env.SCOPEWARD_MAX_TOKEN_LIFETIME
  return {
    db: flags.db ?? env.SCOPEWARD_DB ?? DEFAULTS.db,
    port,
    host,
    issuer: issuer?.replace(/\/$/, '') ?? null,
    masterKey,
    logLevel,
    bodyLimitBytes: integer(env.SCOPEWARD_BODY_LIMIT, 'SCOPEWARD_BODY_LIMIT', DEFAULTS.bodyLimitBytes, 1024, 10 * 1024 * 1024),
    usageFlushMs: integer(env.SCOPEWARD_USAGE_FLUSH_MS, 'SCOPEWARD_USAGE_FLUSH_MS', DEFAULTS.usageFlushMs, 10, 3_600_000),
    maxTokenLifetimeMs: maxLifetime ? wrapDuration(maxLifetime, 'SCOPEWARD_MAX_TOKEN_LIFETIME') : null,
    maxJwtLifetimeMs: durationSetting(env.SCOPEWARD_MAX_JWT_LIFETIME, 'SCOPEWARD_MAX_JWT_LIFETIME', DEFAULTS.maxJwtLifetimeMs, 60_000, 24 * 3_600_000),
    keyActivationDelayMs:
      env.SCOPEWARD_KEY_ACTIVATION_DELAY === 'PT0S'
        ? 0
        : durationSetting(env.SCOPEWARD_KEY_ACTIVATION_DELAY, 'SCOPEWARD_KEY_ACTIVATION_DELAY', DEFAULTS.keyActivationDelayMs, 1000, 24 * 3_600_000),
    cacheRefreshMs: integer(env.SCOPEWARD_CACHE_REFRESH_MS, 'SCOPEWARD_CACHE_REFRESH_MS', DEFAULTS.cacheRefreshMs, 100, 300_000),
    introspection: boolean(env.SCOPEWARD_INTROSPECTION, 'SCOPEWARD_INTROSPECTION', env.NODE_ENV !== 'production'),
    publicScopeRequirements: boolean(env.SCOPEWARD_PUBLIC_SCOPE_REQUIREMENTS, 'SCOPEWARD_PUBLIC_SCOPE_REQUIREMENTS', false),
    limits: {
      maxDepth: integer(env.SCOPEWARD_MAX_DEPTH, 'SCOPEWARD_MAX_DEPTH', DEFAULT_LIMITS.maxDepth, 1, 100),
      maxAliases: integer(env.SCOPEWARD_MAX_ALIASES, 'SCOPEWARD_MAX_ALIASES', DEFAULT_LIMITS.maxAliases, 0, 1000),
      maxDirectives: integer(env.SCOPEWARD_MAX_DIRECTIVES, 'SCOPEWARD_MAX_DIRECTIVES', DEFAULT_LIMITS.maxDirectives, 0, 1000),
      maxTokens: integer(env.SCOPEWARD_MAX_TOKENS, 'SCOPEWARD_MAX_TOKENS', DEFAULT_LIMITS.maxTokens, 10, 100_000),
      maxCost: integer(env.SCOPEWARD_MAX_COST, 'SCOPEWARD_MAX_COST', DEFAULT_LIMITS.maxCost, 1, 1_000_000),
      maxRootFields: integer(env.SCOPEWARD_MAX_ROOT_FIELDS, 'SCOPEWARD_MAX_ROOT_FIELDS', DEFAULT_LIMITS.maxRootFields, 1, 1000),
      maxListProduct: integer(env.SCOPEWARD_MAX_LIST_PRODUCT, 'SCOPEWARD_MAX_LIST_PRODUCT', DEFAULT_LIMITS.maxListProduct, 1, 100_000_000),
      maxQueryLength: integer(env.SCOPEWARD_MAX_QUERY_LENGTH, 'SCOPEWARD_MAX_QUERY_LENGTH', DEFAULT_LIMITS.maxQueryLength, 100, 1_000_000),
    },
    trustedProxies: proxies(env.SCOPEWARD_TRUSTED_PROXIES),
    corsOrigins: list(env.SCOPEWARD_CORS_ORIGINS, 'SCOPEWARD_CORS_ORIGINS', /^https?:\/\/[A-Za-z0-9.\-]+(:\d+)?$/),
    authFailuresPerMinute: integer(env.SCOPEWARD_AUTH_FAILURES_PER_MINUTE, 'SCOPEWARD_AUTH_FAILURES_PER_MINUTE', 30, 1, 1_000_000),
    tokenRequestsPerMinute: integer(env.SCOPEWARD_TOKEN_REQUESTS_PER_MINUTE, 'SCOPEWARD_TOKEN_REQUESTS_PER_MINUTE', 60, 1, 1_000_000),
    headersTimeoutMs: integer(env.SCOPEWARD_HEADERS_TIMEOUT_MS, 'SCOPEWARD_HEADERS_TIMEOUT_MS', 10_000, 100, 30_000),
    maxConnectionsPerAddress: integer(env.SCOPEWARD_MAX_CONNECTIONS_PER_ADDRESS, 'SCOPEWARD_MAX_CONNECTIONS_PER_ADDRESS', 100, 1, 1_000_000),
    metrics: boolean(env.SCOPEWARD_METRICS, 'SCOPEWARD_METRICS', true),
    redisUrl: redisUrl(env.SCOPEWARD_REDIS_URL),
    redisPrefix: env.SCOPEWARD_REDIS_PREFIX || 'scopeward:',
    rateLimitFail: failMode(env.SCOPEWARD_RATE_LIMIT_FAIL),
    webhooks: webhookConfig(env),
    tokenPrefix: tokenPrefix(env.SCOPEWARD_TOKEN_PREFIX),
    leakReportKeys: leakKeys(env.SCOPEWARD_LEAK_REPORT_KEYS),
    subscriptions: {
      perToken: integer(env.SCOPEWARD_SUBSCRIPTIONS_PER_TOKEN, 'SCOPEWARD_SUBSCRIPTIONS_PER_TOKEN', 5, 1, 10_000),
      perAddress: integer(env.SCOPEWARD_SUBSCRIPTIONS_PER_ADDRESS, 'SCOPEWARD_SUBSCRIPTIONS_PER_ADDRESS', 20, 1, 1_000_000),
      recheckMs: integer(env.SCOPEWARD_SUBSCRIPTION_RECHECK_MS, 'SCOPEWARD_SUBSCRIPTION_RECHECK_MS', 500, 50, 1000),
      pollMs: integer(env.SCOPEWARD_SUBSCRIPTION_POLL_MS, 'SCOPEWARD_SUBSCRIPTION_POLL_MS', 1000, 50, 60_000),
    },
    executor: executorSetting(env.SCOPEWARD_EXECUTOR),
  }
}

/** SCOPEWARD_EXECUTOR: jit (default) or graphql-js (docs/executor.md). */
function executorSetting(value: string | undefined): 'jit' | 'graphql-js' {
  if (value === undefined || value === '' || value === 'jit') return 'jit'
  if (value === 'graphql-js') return 'graphql-js'
  throw invalid('SCOPEWARD_EXECUTOR', `must be jit or graphql-js, got ${JSON.stringify(value).slice(0, 40)}`)
}

/** SCOPEWARD_TOKEN_PREFIX: 2-10 lowercase letters and digits, starting with a letter (src/tokens/opaque-token.ts). */
function tokenPrefix(value: string | undefined): string {
  if (value === undefined || value === '') return DEFAULT_TOKEN_PREFIX
  if (!TOKEN_PREFIX_RE.test(value))
    throw invalid(
      'SCOPEWARD_TOKEN_PREFIX',
      `must be 2 to 10 lowercase letters and digits starting with a letter, without the "_" (e.g. "acme"), got ${JSON.stringify(value.slice(0, 40))}`,
    )
  if (value === 'sws') throw invalid('SCOPEWARD_TOKEN_PREFIX', '"sws" is the prefix of client secrets')
  return value
}

/** SCOPEWARD_LEAK_REPORT_KEYS: a PEM or JWKS file of ECDSA P-256 public keys (src/http/leak-report-keys.ts). */
function leakKeys(path: string | undefined): LeakReportKeys {
  if (path === undefined || path === '') return new Map()
  try {
    return readLeakReportKeys(path)
  } catch (error) {
    throw invalid('SCOPEWARD_LEAK_REPORT_KEYS', (error as Error).message)
  }
}

/** SCOPEWARD_REDIS_URL: redis:// or rediss:// (TLS); empty or unset: no Redis. */
function redisUrl(value: string | undefined): string | null {
  if (value === undefined || value === '') return null
  if (!/^rediss?:\/\/\S+$/.test(value)) throw invalid('SCOPEWARD_REDIS_URL', 'must be a redis:// or rediss:// URL')
  return value
}

/** SCOPEWARD_RATE_LIMIT_FAIL: open (default) or closed. */
function failMode(value: string | undefined): 'open' | 'closed' {
  if (value === undefined || value === '' || value === 'open') return 'open'
  if (value === 'closed') return 'closed'
  throw invalid('SCOPEWARD_RATE_LIMIT_FAIL', `must be open or closed, got ${JSON.stringify(value).slice(0, 40)}`)
}

function wrapDuration(text: string, name: string): number {
  try {
    return parseDuration(text, name)
  } catch (error) {
    throw invalid(name, (error as Error).message)
  }
}

/** An ISO 8601 duration setting within [min, max] milliseconds. */
function durationSetting(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback
  const ms = wrapDuration(value, name)
  if (ms < min || ms > max) throw invalid(name, `must be from ${formatDuration(min)} to ${formatDuration(max)}, got ${JSON.stringify(value)}`)
  return ms
}

function boolean(value: string | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback
  if (value !== 'true' && value !== 'false') throw invalid(name, `must be true or false, got ${JSON.stringify(value)}`)
  return value === 'true'
}

function list(value: string | undefined, name: string, item: RegExp): ReadonlySet<string> {
  const items = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  for (const i of items) if (!item.test(i)) throw invalid(name, `${JSON.stringify(i)} is not valid (comma-separated list)`)
  return new Set(items)
}

/** SCOPEWARD_TRUSTED_PROXIES: comma-separated IP addresses and CIDR ranges, each checked so a typo cannot trust the world. */
function proxies(value: string | undefined): ReadonlySet<string> {
  const items = list(value, 'SCOPEWARD_TRUSTED_PROXIES', /^[0-9a-fA-F.:/]+$/)
  for (const item of items) {
    const problem = cidrProblem(item)
    if (problem !== null) throw invalid('SCOPEWARD_TRUSTED_PROXIES', `${JSON.stringify(item)} ${problem}`)
  }
  return items
}

function integer(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < min || n > max) throw invalid(name, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`)
  return n
}

function invalid(name: string, message: string): ScopewardError {
  return new ScopewardError('BAD_USER_INPUT', `invalid setting ${name}: ${message}`, { field: name })
}
