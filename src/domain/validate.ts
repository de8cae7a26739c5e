import { badInput } from '../errors.js'
import { malformedText } from '../text.js'

/** Longest string any input may be (a field's own rule may be tighter); GraphQL documents excepted. */
export const MAX_INPUT_LENGTH = 4096

/** Control characters: they would forge lines in logs and terminals. */
const CONTROL = /[\u0000-\u001f\u007f]/
/** In a GraphQL document tab, newline and carriage return are layout; every other control character is refused. */
const CONTROL_BUT_LAYOUT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/

/**
 * The rule every string input obeys, whichever field and transport it comes by: well-formed
 * Unicode without NUL, no control characters (layout allowed in `document`s), at most `max`
 * characters. `field` names the input in the error.
 */
export function checkInputString(value: string, field: string, options: { document?: boolean; max?: number } = {}): string {
  const problem = malformedText(value)
  if (problem) throw badInput(field, `${field}: ${problem}`)
  if ((options.document ? CONTROL_BUT_LAYOUT : CONTROL).test(value)) throw badInput(field, `${field}: control characters are not allowed`)
  const max = options.max ?? (options.document ? Infinity : MAX_INPUT_LENGTH)
  if (value.length > max) throw badInput(field, `${field}: at most ${max} characters`)
  return value
}

/** A required, trimmed, printable text input of bounded length; the error names the field. */
export function requireText(value: string | null | undefined, field: string, max = 200): string {
  const text = (value ?? '').trim()
  if (text.length === 0) throw badInput(field, `${field}: must not be empty`)
  return checkInputString(text, field, { max })
}

/** An optional text input: null when absent or blank. */
export function optionalText(value: string | null | undefined, field: string, max = 1000): string | null {
  const text = (value ?? '').trim()
  return text.length === 0 ? null : checkInputString(text, field, { max })
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/

/**
 * An RFC 3339 date-time (`2030-01-31T12:00:00Z`, `2030-01-31T13:00:00.5+01:00`) as epoch ms.
 * Only the full form: a date alone, a missing offset, an impossible day (Feb 30) or hour is
 * BAD_USER_INPUT naming `field` (Date.parse would guess). Leap seconds (:60) are refused.
 */
export function parseInstant(value: unknown, field: string): number {
  const match = typeof value === 'string' ? RFC3339.exec(value) : null
  const refuse = () => badInput(field, `${field}: ${JSON.stringify(value)?.slice(0, 40)} is not an RFC 3339 date-time with offset (e.g. "2030-01-31T12:00:00Z")`)
  if (!match) throw refuse()
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const ms = Number(((match[7] ?? '') + '000').slice(0, 3))
  const offset = match[8] ? 0 : (match[9] === '-' ? -1 : 1) * (Number(match[10]) * 60 + Number(match[11]))
  const utc = new Date(0)
  utc.setUTCFullYear(year, month - 1, day)
  utc.setUTCHours(hour, minute, second, ms)
  // Date rolls Feb 30 over into March: an impossible date does not survive the round trip.
  if (utc.getUTCMonth() !== month - 1 || utc.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59 || Number(match[10] ?? 0) > 23 || Number(match[11] ?? 0) > 59)
    throw refuse()
  return utc.getTime() - offset * 60_000
}
