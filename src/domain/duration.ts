import { badInput } from '../errors.js'

const DURATION_RE = /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?!$)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
/** Calendar units are fixed here (a year is 365 days, a month 30) so a lifetime is one number. */
const UNITS = [365 * DAY, 30 * DAY, 7 * DAY, DAY, HOUR, MINUTE, SECOND]
/** No lifetime beyond 100 years is meaningful; it also keeps arithmetic far from float limits. */
const MAX_DURATION_MS = 100 * 365 * DAY

/**
 * Parses an ISO 8601 duration ("PT15M", "P30D", "P1Y2M", "P2W") into milliseconds.
 * Fractions and negative durations are refused; `field` names the input in the error.
 */
export function parseDuration(text: string, field: string): number {
  // Duration is a custom scalar that GraphQL passes through as given: refuse anything but a string
  // before the regex would coerce it (["P1D"] would otherwise read as "P1D").
  const match = typeof text === 'string' ? DURATION_RE.exec(text) : null
  if (!match) throw badInput(field, `${field}: ${JSON.stringify(text)?.slice(0, 100)} is not an ISO 8601 duration (e.g. "PT15M", "P30D")`)
  let total = 0
  for (let i = 0; i < UNITS.length; i++) {
    const part = match[i + 1]
    if (part !== undefined) total += Number(part) * (UNITS[i] as number)
  }
  if (total <= 0) throw badInput(field, `${field}: the duration must be longer than zero`)
  if (total > MAX_DURATION_MS) throw badInput(field, `${field}: the duration may not exceed 100 years`)
  return total
}

/** Milliseconds as a canonical ISO 8601 duration using days, hours, minutes and seconds. */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms / SECOND)
  const days = Math.floor(rest / 86400)
  rest -= days * 86400
  const hours = Math.floor(rest / 3600)
  rest -= hours * 3600
  const minutes = Math.floor(rest / 60)
  const seconds = rest - minutes * 60
  const time = (hours ? `${hours}H` : '') + (minutes ? `${minutes}M` : '') + (seconds ? `${seconds}S` : '')
  const out = 'P' + (days ? `${days}D` : '') + (time ? `T${time}` : '')
  return out === 'P' ? 'PT0S' : out
}
