// The webhook settings (SCOPEWARD_WEBHOOK_*, SCOPEWARD_EXPIRY_WARNINGS), read and checked at start
// by config.ts; README.md lists them. A bad value stops the server with a message naming it.

import { ScopewardError } from '../errors.js'
import { parseDuration } from '../domain/duration.js'

export interface WebhookConfig {
  /**
   * This instance sends deliveries (SCOPEWARD_WEBHOOK_DELIVER, default true). With false it still records every
   * event in the write that causes it (the outbox) and leaves the sending to instances that deliver: several
   * serving instances on PostgreSQL and one that delivers, or a measurement of the outbox alone.
   */
  deliver: boolean
  /** Accept plain http:// webhook URLs (SCOPEWARD_WEBHOOK_ALLOW_HTTP); https only by default. */
  allowHttp: boolean
  /** Deliver to private, loopback and link-local addresses (SCOPEWARD_WEBHOOK_ALLOW_PRIVATE): for tests and closed networks only. */
  allowPrivate: boolean
  /** One attempt's limit: connection, request and response together. */
  timeoutMs: number
  /** The delay before each attempt: the first is usually 0 (at once); after the last, the delivery is FAILED. */
  retrySchedule: readonly number[]
  /** How often the worker looks for due deliveries when nothing woke it. */
  pollMs: number
  /** How long a claimed delivery stays with its instance; a crashed instance's claims are taken over after it. */
  leaseMs: number
  /** A webhook whose every attempt has failed for this long is disabled. */
  disableAfterMs: number
  /** Before expiry, when `token.expiring` is sent (default 7 days and 1 day). */
  expiryWarnings: readonly number[]
  /** How often the expiry sweeper runs. */
  sweepMs: number
  /**
   * How long DELIVERED and FAILED deliveries (from their delivery or last attempt) and spent
   * announcement keys are kept (SCOPEWARD_WEBHOOK_RETENTION, default 30 days); the sweeper's timer deletes older ones.
   */
  retentionMs: number
}

const DAY = 24 * 3_600_000

export const DEFAULT_RETRY_SCHEDULE = ['PT0S', 'PT5S', 'PT5M', 'PT30M', 'PT2H', 'PT5H', 'PT10H', 'PT10H']

const invalid = (name: string, message: string): ScopewardError => new ScopewardError('BAD_USER_INPUT', `invalid setting ${name}: ${message}`, { field: name })

function bool(env: Record<string, string | undefined>, name: string, fallback = false): boolean {
  const value = env[name]
  if (value === undefined || value === '') return fallback
  if (value !== 'true' && value !== 'false') throw invalid(name, `must be true or false, got ${JSON.stringify(value)}`)
  return value === 'true'
}

/** A duration: ISO 8601 or human form, or a plain number of milliseconds (`0` allowed where `zero` is). */
function duration(text: string, name: string, zero: boolean): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text)
    if (n === 0 && !zero) throw invalid(name, 'must be longer than zero')
    return n
  }
  if (zero && text === 'PT0S') return 0
  try {
    return parseDuration(text, name)
  } catch (error) {
    throw invalid(name, (error as Error).message.replace(`${name}: `, ''))
  }
}

function durations(value: string | undefined, name: string, fallback: readonly string[], zero: boolean): number[] {
  const items = (value === undefined || value === '' ? [...fallback] : value.split(',')).map((s) => s.trim())
  if (items.length === 0 || items.length > 50 || items.some((s) => s === '')) throw invalid(name, 'must be a comma-separated list of 1 to 50 durations')
  return items.map((s) => duration(s, name, zero))
}

function ms(env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number): number {
  const value = env[name]
  if (value === undefined || value === '') return fallback
  const n = duration(value, name, false)
  if (n < min || n > max) throw invalid(name, `must be from ${min} to ${max} ms, got ${JSON.stringify(value)}`)
  return n
}

export function webhookConfig(env: Record<string, string | undefined>): WebhookConfig {
  const timeoutMs = ms(env, 'SCOPEWARD_WEBHOOK_TIMEOUT', 5000, 100, 60_000)
  const leaseMs = ms(env, 'SCOPEWARD_WEBHOOK_LEASE', 60_000, 200, 3_600_000)
  if (leaseMs <= timeoutMs) throw invalid('SCOPEWARD_WEBHOOK_LEASE', `must be longer than SCOPEWARD_WEBHOOK_TIMEOUT (${timeoutMs} ms): an attempt must end before its claim lapses`)
  return {
    deliver: bool(env, 'SCOPEWARD_WEBHOOK_DELIVER', true),
    allowHttp: bool(env, 'SCOPEWARD_WEBHOOK_ALLOW_HTTP'),
    allowPrivate: bool(env, 'SCOPEWARD_WEBHOOK_ALLOW_PRIVATE'),
    timeoutMs,
    retrySchedule: durations(env.SCOPEWARD_WEBHOOK_RETRY_SCHEDULE, 'SCOPEWARD_WEBHOOK_RETRY_SCHEDULE', DEFAULT_RETRY_SCHEDULE, true),
    pollMs: ms(env, 'SCOPEWARD_WEBHOOK_POLL', 1000, 10, 600_000),
    leaseMs,
    disableAfterMs: ms(env, 'SCOPEWARD_WEBHOOK_DISABLE_AFTER', 5 * 24 * 3_600_000, 1, 365 * 24 * 3_600_000),
    expiryWarnings: durations(env.SCOPEWARD_EXPIRY_WARNINGS, 'SCOPEWARD_EXPIRY_WARNINGS', ['P7D', 'P1D'], false).sort((a, b) => b - a),
    sweepMs: ms(env, 'SCOPEWARD_WEBHOOK_SWEEP', 60_000, 10, 3_600_000),
    // At least an hour: the announcement keys' rule (expiry-sweeper.ts) counts on the retention being far longer than a sweep can stall.
    retentionMs: ms(env, 'SCOPEWARD_WEBHOOK_RETENTION', 30 * DAY, 3_600_000, 3650 * DAY),
  }
}
