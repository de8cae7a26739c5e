// isoTime (src/iso-time.ts) against the built-in it replaces: Date#toISOString, for every input.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { isoTime, isoTimeOrNull } from '../../src/iso-time.js'
import { propertyOptions } from '../property-options.js'

const builtIn = (ms: number): string => new Date(ms).toISOString()
/** What `f(ms)` returns, or the name of the error it throws. */
const outcome = (f: (ms: number) => string, ms: number): string => {
  try {
    return f(ms)
  } catch (error) {
    return `throws ${(error as Error).name}`
  }
}
const YEAR_10000 = 253_402_300_800_000
const MAX_TIME = 8.64e15

describe('isoTime', () => {
  test('formats as toISOString does at the edges: epoch, leap days, year and range bounds', () => {
    const edges = [
      0,
      -0,
      1,
      -1,
      999,
      -999,
      1.7,
      -1.7,
      Date.UTC(2026, 11, 6, 19, 54, 30, 123),
      Date.UTC(2000, 1, 29, 23, 59, 59, 999),
      Date.UTC(1900, 1, 28, 23, 59, 59, 999),
      Date.UTC(1900, 2, 1),
      Date.UTC(2100, 1, 28, 12),
      Date.UTC(1969, 11, 31, 23, 59, 59, 999),
      Date.UTC(1600, 1, 29),
      -62_135_596_800_000, // 0001-01-01
      new Date('0000-01-01T00:00:00.000Z').getTime(),
      new Date('0000-01-01T00:00:00.000Z').getTime() - 1,
      new Date('0999-12-31T23:59:59.999Z').getTime(),
      YEAR_10000 - 1,
      YEAR_10000,
      MAX_TIME,
      -MAX_TIME,
    ]
    for (const ms of edges) assert.equal(isoTime(ms), builtIn(ms), String(ms))
    assert.equal(isoTime(Date.UTC(2026, 11, 6, 19, 54, 30, 123)), '2026-12-06T19:54:30.123Z')
    assert.equal(isoTime(new Date('0000-01-01T00:00:00.000Z').getTime() - 1), '-000001-12-31T23:59:59.999Z')
  })

  test('throws a RangeError where toISOString does: not a time, or beyond ±8.64e15 ms', () => {
    for (const ms of [Number.NaN, Infinity, -Infinity, MAX_TIME + 1, -MAX_TIME - 1]) {
      assert.equal(outcome(isoTime, ms), 'throws RangeError', String(ms))
      assert.equal(outcome(builtIn, ms), 'throws RangeError', String(ms))
    }
  })

  test('matches toISOString over random times across the whole range and in the four-digit years', () => {
    const near = (ms: number) => fc.integer({ min: ms - 3 * 86_400_000, max: ms + 3 * 86_400_000 })
    const times = fc.oneof(
      fc.integer({ min: -MAX_TIME, max: MAX_TIME }),
      fc.integer({ min: -62_167_219_200_000, max: YEAR_10000 - 1 }),
      fc.double({ min: -MAX_TIME, max: MAX_TIME, noNaN: true }),
      near(0),
      near(-62_167_219_200_000),
      near(YEAR_10000),
    )
    fc.assert(
      fc.property(times, (ms) => outcome(isoTime, ms) === outcome(builtIn, ms)),
      propertyOptions(20_000),
    )
  })

  test('formats consecutive calls on different days each with its own date, days that share a cache slot too', () => {
    const day = 86_400_000
    const start = Date.UTC(2026, 0, 1, 1)
    const days = [start, Date.UTC(2025, 11, 31, 23), start + 64 * day, start + 1, start - 64 * day, start + 3650 * day, start + 2, 0]
    assert.deepEqual(days.map(isoTime), days.map(builtIn))
  })

  test('isoTimeOrNull keeps an absent time absent', () => {
    assert.equal(isoTimeOrNull(null), null)
    assert.equal(isoTimeOrNull(0), '1970-01-01T00:00:00.000Z')
  })
})
