// Timestamps as the API shows them: exactly what `new Date(ms).toISOString()` returns, built in
// JavaScript. The built-in allocates a Date and formats in the runtime, ~20× slower than this
// arithmetic; a page of 20 tokens formats 40 of them (bench/RESULTS.md, "Round 4: the list path").

const DAY_MS = 86_400_000
/** The first millisecond of year 0000 and of year 10000: outside them toISOString writes a six-digit signed year. */
const FOUR_DIGIT_YEARS_FROM = -62_167_219_200_000
const FOUR_DIGIT_YEARS_TO = 253_402_300_800_000

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'))
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'))

// A page's timestamps fall on few days (a token's creation and its expiry, alternately): the
// `YYYY-MM-DDT` of recent days is kept, direct-mapped by day number.
const DAY_SLOTS = 64
const slotDay = new Float64Array(DAY_SLOTS).fill(Number.NaN)
const slotText: string[] = new Array<string>(DAY_SLOTS).fill('')

/**
 * `ms` (milliseconds since the epoch) as ISO 8601 in UTC, `YYYY-MM-DDTHH:mm:ss.sssZ`: the same
 * string as `new Date(ms).toISOString()` for every input, a RangeError where it throws one.
 */
export function isoTime(ms: number): string {
  // Date's TimeClip truncates toward zero.
  const at = Math.trunc(ms)
  if (!(at >= FOUR_DIGIT_YEARS_FROM && at < FOUR_DIGIT_YEARS_TO)) return new Date(ms).toISOString()
  const day = Math.floor(at / DAY_MS)
  const slot = day & (DAY_SLOTS - 1)
  if (slotDay[slot] !== day) {
    slotText[slot] = dateOfDay(day)
    slotDay[slot] = day
  }
  let rest = at - day * DAY_MS
  const milli = rest % 1000
  rest = (rest - milli) / 1000
  const second = rest % 60
  rest = (rest - second) / 60
  const minute = rest % 60
  const hour = (rest - minute) / 60
  return `${slotText[slot]}${TWO_DIGITS[hour]}:${TWO_DIGITS[minute]}:${TWO_DIGITS[second]}.${THREE_DIGITS[milli]}Z`
}

/** `isoTime` of a timestamp that may be absent. */
export function isoTimeOrNull(ms: number | null): string | null {
  return ms === null ? null : isoTime(ms)
}

/**
 * `YYYY-MM-DDT` of a day counted from 1970-01-01 (proleptic Gregorian, years 0–9999), by
 * H. Hinnant's civil_from_days (https://howardhinnant.github.io/date_algorithms.html#civil_from_days).
 */
function dateOfDay(day: number): string {
  const z = day + 719_468
  const era = Math.floor(z / 146_097)
  const dayOfEra = z - era * 146_097
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365)
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153)
  const dayOfMonth = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
  return `${String(year).padStart(4, '0')}-${TWO_DIGITS[month]}-${TWO_DIGITS[dayOfMonth]}T`
}
