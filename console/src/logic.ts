// The console's page logic, free of the DOM: unit-tested in test/unit/console-logic.test.ts.
import type { TokenConstraintsInput } from './gql/graphql.js'

/** Built-in implications, used when the caller cannot read the scope catalogue (scopes:read). */
export const BUILT_IN_IMPLIES: Record<string, string[]> = {
  'apps:write': ['apps:read'],
  'tokens:write': ['tokens:read'],
  'scopes:write': ['scopes:read'],
  'keys:write': ['keys:read'],
}

/** `scopes` and everything they imply, transitively. */
export function closeScopes(scopes: readonly string[], implies: Record<string, readonly string[]>): Set<string> {
  const out = new Set<string>()
  const stack = [...scopes]
  while (stack.length > 0) {
    const s = stack.pop() as string
    if (out.has(s)) continue
    out.add(s)
    stack.push(...(implies[s] ?? []))
  }
  return out
}

/** What the signed-in token may do, to decide which actions the page offers (the server decides what runs). */
export interface Abilities {
  readTokens: boolean
  writeTokens: boolean
  readApps: boolean
  readScopes: boolean
  readAudit: boolean
}

export function abilities(held: ReadonlySet<string>): Abilities {
  return {
    readTokens: held.has('tokens:read'),
    writeTokens: held.has('tokens:write'),
    readApps: held.has('apps:read'),
    readScopes: held.has('scopes:read'),
    readAudit: held.has('audit:read'),
  }
}

/**
 * The scopes the caller may put on a token of an app: within the app's ceiling and held by the
 * caller (closed under implies). A root-app caller holding scopes:write may also grant any declared scope.
 */
export function grantableScopes(held: ReadonlySet<string>, ceiling: readonly string[], rootCatalogueAdmin: boolean): string[] {
  return ceiling.filter((s) => rootCatalogueAdmin || held.has(s)).sort()
}

const DURATION_RE = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/

/** Milliseconds of an ISO 8601 duration (years 365 days, months 30, as the server counts); null if malformed. */
export function durationMs(text: string): number | null {
  const m = DURATION_RE.exec(text.trim())
  if (!m || text.trim() === 'P' || text.trim().endsWith('T')) return null
  const [y, mo, w, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number, number]
  const day = 86_400_000
  return y * 365 * day + mo * 30 * day + w * 7 * day + d * day + h * 3_600_000 + mi * 60_000 + s * 1000
}

const DURATION_UNITS = ['year', 'month', 'week', 'day', 'hour', 'minute', 'second'] as const

/**
 * An ISO 8601 duration in words for a rate ("PT1M" → "minute", "PT5M" → "5 minutes", "P1DT12H" →
 * "1 day 12 hours"); the text itself when it is not a duration, so nothing is hidden.
 */
export function durationWords(text: string): string {
  const m = DURATION_RE.exec(text.trim())
  if (!m || durationMs(text) === null) return text
  const parts = m
    .slice(1)
    .map((v, i) => ({ n: Number(v ?? 0), unit: DURATION_UNITS[i]! }))
    .filter((p) => p.n > 0)
  if (parts.length === 0) return text
  if (parts.length === 1 && parts[0]!.n === 1) return parts[0]!.unit
  return parts.map((p) => `${p.n} ${p.unit}${p.n === 1 ? '' : 's'}`).join(' ')
}

export const EXPIRY_PRESETS: { label: string; value: string }[] = [
  { label: '1 hour', value: 'PT1H' },
  { label: '1 day', value: 'P1D' },
  { label: '7 days', value: 'P7D' },
  { label: '30 days', value: 'P30D' },
  { label: '90 days', value: 'P90D' },
  { label: '1 year', value: 'P365D' },
]

/** The presets an app's ceiling allows (all of them without a ceiling). */
export function expiryPresets(maxLifetime: string | null): { label: string; value: string }[] {
  const max = maxLifetime === null ? null : durationMs(maxLifetime)
  return EXPIRY_PRESETS.filter((p) => max === null || (durationMs(p.value) as number) <= max)
}

/** Why a custom lifetime is refused before sending it (the server checks again); null when fine. */
export function expiryProblem(value: string, maxLifetime: string | null): string | null {
  const ms = durationMs(value)
  if (ms === null || ms <= 0) return 'Expires in must be an ISO 8601 duration such as P30D or PT12H'
  const max = maxLifetime === null ? null : durationMs(maxLifetime)
  if (max !== null && ms > max) return `Expires in is beyond the app's maximum lifetime (${maxLifetime})`
  return null
}

export type SortKey = 'created' | 'lastUsed' | 'expires'

/**
 * The server-side order of the tokens table for a sort choice: created and last used newest first,
 * expiry soonest first (the server pages by keyset in that order, never-used and never-expiring last).
 */
export function tokenOrder(key: SortKey): { sort: 'CREATED' | 'LAST_USED' | 'EXPIRES'; descending: boolean } {
  if (key === 'lastUsed') return { sort: 'LAST_USED', descending: true }
  if (key === 'expires') return { sort: 'EXPIRES', descending: false }
  return { sort: 'CREATED', descending: true }
}

/** One day of the usage chart: its UTC date and the requests per scope (0 where none). */
export interface UsageDay {
  day: string
  counts: Record<string, number>
  total: number
}

/**
 * The `days` UTC days up to and including the day of `now`, oldest first, each with its count per
 * scope from `rows` (the API leaves quiet days out; the chart shows them as zero). Scopes sorted.
 */
export function usageSeries(rows: readonly { day: string; scope: string; count: number }[], days: number, now: number): { days: UsageDay[]; scopes: string[] } {
  const window: string[] = []
  for (let i = days - 1; i >= 0; i--) window.push(new Date(now - i * 86_400_000).toISOString().slice(0, 10))
  const inWindow = rows.filter((r) => window.includes(r.day))
  const scopes = [...new Set(inWindow.map((r) => r.scope))].sort()
  const out: UsageDay[] = window.map((day) => ({ day, counts: Object.fromEntries(scopes.map((s) => [s, 0])), total: 0 }))
  const byDay = new Map(out.map((d) => [d.day, d]))
  for (const r of inWindow) {
    const d = byDay.get(r.day) as UsageDay
    d.counts[r.scope] = (d.counts[r.scope] ?? 0) + r.count
    d.total += r.count
  }
  return { days: out, scopes }
}

/** A time for a table cell: the date and time in UTC, or a dash. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—'
  return iso
    .replace('T', ' ')
    .replace(/:\d\d\.\d+Z$/, ' UTC')
    .replace(/:\d\dZ$/, ' UTC')
}

/** The console's pages, from a location path. */
export type Page = 'tokens' | 'token' | 'issue' | 'least-privilege' | 'apps' | 'audit' | 'keys' | 'explorer'

export function pageOf(pathname: string): Page {
  const rest = pathname.replace(/^\/console\/?/, '').replace(/\/$/, '')
  if (rest === 'token' || rest === 'issue' || rest === 'least-privilege' || rest === 'apps' || rest === 'audit' || rest === 'keys' || rest === 'explorer') return rest
  return 'tokens'
}

/** The sign-in page's message for a refusal, from the server's error. */
export function signInMessage(code: string | undefined, status: number): string {
  if (status === 401 || code === 'UNAUTHENTICATED') return 'This token is not valid: it is malformed, unknown, expired or revoked, or its app is disabled.'
  if (status === 429) return 'Too many failed sign-ins from this address; wait a minute and try again.'
  return 'The server could not be reached; try again.'
}

const WEEK = 7 * 86_400_000

/** How many of `expiries` fall in each of the next `weeks` weeks from `now` (week 0 = the coming 7 days). */
export function expiryWeeks(expiries: readonly (string | null)[], now: number, weeks: number): number[] {
  const out = new Array<number>(weeks).fill(0)
  for (const e of expiries) {
    if (e === null) continue
    const week = Math.floor((Date.parse(e) - now) / WEEK)
    if (week >= 0 && week < weeks) out[week] = (out[week] as number) + 1
  }
  return out
}

/** Tokens expiring within `days` of `now`. */
export function expiringWithin<T extends { expiresAt: string | null }>(rows: readonly T[], now: number, days: number): T[] {
  return rows.filter((r) => r.expiresAt !== null && Date.parse(r.expiresAt) - now <= days * 86_400_000 && Date.parse(r.expiresAt) > now)
}

/** The scopes a trim removes and keeps, for the dry-run diff. */
export function trimDiff(current: readonly string[], kept: readonly string[]): { scope: string; change: 'kept' | 'removed' | 'added' }[] {
  const keep = new Set(kept)
  const now = new Set(current)
  return [
    ...[...now].sort().map((scope) => ({ scope, change: keep.has(scope) ? ('kept' as const) : ('removed' as const) })),
    ...[...keep]
      .filter((s) => !now.has(s))
      .sort()
      .map((scope) => ({ scope, change: 'added' as const })),
  ]
}

/** `set` with `value` added (`on`) or removed: a checkbox list's next state. */
export function toggled(set: ReadonlySet<string>, value: string, on: boolean): Set<string> {
  const next = new Set(set)
  if (on) next.add(value)
  else next.delete(value)
  return next
}

/** The constraint fields as typed: text, so an empty field means "not set" and the API judges the rest. */
export interface ConstraintsDraft {
  cidrs: string
  rateLimit: string
  rateWindow: string
  credits: string
  refillAmount: string
  refillInterval: string
}

export const EMPTY_CONSTRAINTS: ConstraintsDraft = { cidrs: '', rateLimit: '', rateWindow: '1m', credits: '', refillAmount: '', refillInterval: '1d' }

const whole = (text: string) => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : null)

/**
 * The draft as `TokenConstraintsInput` (a member left empty is left out: a derived token then
 * inherits its parent's), or the first problem a person can fix without asking the server. Ranges,
 * windows and widening are the API's to judge: its error is shown as it says it.
 */
export function constraintsInput(d: ConstraintsDraft, label: string): { input: TokenConstraintsInput | null } | { problem: string } {
  const say = (s: string) => ({ problem: label ? `${label}${s}` : s.charAt(0).toUpperCase() + s.slice(1) })
  const input: TokenConstraintsInput = {}
  const cidrs = d.cidrs
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean)
  if (cidrs.length > 0) input.allowedCidrs = cidrs
  if (d.rateLimit.trim() !== '') {
    const limit = whole(d.rateLimit)
    if (limit === null) return say('rate limit: give a whole number of requests.')
    if (d.rateWindow.trim() === '') return say('rate limit: give its window (e.g. 1m).')
    input.rateLimit = { limit, window: d.rateWindow.trim() }
  }
  if (d.credits.trim() !== '') {
    const remaining = whole(d.credits)
    if (remaining === null) return say('credits: give a whole number.')
    input.credits = { remaining }
    if (d.refillAmount.trim() !== '') {
      const amount = whole(d.refillAmount)
      if (amount === null) return say('credit refill: give a whole number.')
      if (d.refillInterval.trim() === '') return say('credit refill: give its interval (e.g. 1d).')
      input.credits.refill = { amount, interval: d.refillInterval.trim() }
    }
  } else if (d.refillAmount.trim() !== '') return say('credit refill: give the credits it refills.')
  return { input: Object.keys(input).length > 0 ? input : null }
}
