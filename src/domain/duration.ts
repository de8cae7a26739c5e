import { badInput } from '../errors.js'

const DURATION_RE = /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?!$)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/

/** The human form operators type (`30d`, `12h`, `15m`, `1h30m`, `2w`): lower-case units only, so `15M` stays ambiguous and refused. */
const HUMAN_RE = /^(?!$)(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
/** Calendar units are fixed here (a year is 365 days, a month 30) so a lifetime is one number. */
const UNITS = [365 * DAY, 30 * DAY, 7 * DAY, DAY, HOUR, MINUTE, SECOND]
/** No lifetime beyond 100 years is meaningful; it also keeps arithmetic far from float limits. */
const MAX_DURATION_MS = 100 * 365 * DAY

/**
 * Parses a duration into milliseconds: ISO 8601 ("PT15M", "P30D", "P1Y2M", "P2W") or the human
 * form ("15m", "30d", "12h", "1h30m", "2w"). Fractions and negative durations are refused; `field`
 * names the input in the error (a flag or setting where the caller passes its name).
 */
export function parseDuration(text: string, field: string): number {
  // Duration is a custom scalar that GraphQL passes through as given: refuse anything but a string
  // before the regex would coerce it (["P1D"] would otherwise read as "P1D").
  const iso = typeof text === 'string' ? DURATION_RE.exec(text) : null
  const human = typeof text === 'string' && !iso ? HUMAN_RE.exec(text) : null
  if (!iso && !human) throw badInput(field, `${field}: ${JSON.stringify(text)?.slice(0, 100)} is not a duration (e.g. "15m", "12h", "30d", or ISO 8601 "PT15M", "P30D")`)
  // Both forms map onto UNITS: the human form has no years or months (`m` is minutes).
  const parts = iso ? iso.slice(1) : [undefined, undefined, ...(human as RegExpExecArray).slice(1)]
  let total = 0
  for (let i = 0; i < UNITS.length; i++) {
    const part = parts[i]
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
