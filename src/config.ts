import { ScopewardError } from './errors.js'
import { parseDuration } from './domain/duration.js'

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
  /** Introspection and field suggestions: on unless NODE_ENV=production (then opt in). */
  introspection: boolean
}

export const DEFAULTS = {
  db: './data/scopeward.db',
  port: 4000,
  host: '127.0.0.1',
  logLevel: 'info',
  bodyLimitBytes: 100 * 1024,
  usageFlushMs: 5000,
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

type Source = Record<string, string | undefined>

/** Reads settings from flags (first) and the environment; a bad value stops the server with a message naming it. */
export function loadConfig(flags: Partial<Record<'db' | 'port' | 'host', string>>, env: Source = process.env): Config {
  const port = integer(flags.port ?? env.PORT, '--port / PORT', DEFAULTS.port, 0, 65535)
  const masterKey = env.SCOPEWARD_MASTER_KEY ?? null
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
    maxTokenLifetimeMs: maxLifetime ? wrapDuration(maxLifetime) : null,
    introspection: env.SCOPEWARD_INTROSPECTION ? env.SCOPEWARD_INTROSPECTION === 'true' : env.NODE_ENV !== 'production',
  }
}

function wrapDuration(text: string): number {
  try {
    return parseDuration(text, 'SCOPEWARD_MAX_TOKEN_LIFETIME')
  } catch (error) {
    throw invalid('SCOPEWARD_MAX_TOKEN_LIFETIME', (error as Error).message)
  }
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
