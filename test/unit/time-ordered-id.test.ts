// Time-ordered ids (src/time-ordered-id.ts): RFC 9562 version 7 UUIDs, ordered by their millisecond,
// unique by their random bits.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { timeOrderedUuid } from '../../src/time-ordered-id.js'

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

test('a version 7 UUID whose first 48 bits are the time in ms; ids of later milliseconds sort after; none repeats', () => {
  const at = Date.UTC(2026, 11, 7, 0, 12, 34, 567)
  const id = timeOrderedUuid(at)
  assert.match(id, V7)
  assert.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), at)
  const ids = Array.from({ length: 2000 }, (_, i) => timeOrderedUuid(at + Math.floor(i / 100)))
  for (const x of ids) assert.match(x, V7)
  for (let i = 100; i < ids.length; i += 100) assert.ok((ids[i - 1] as string) < (ids[i] as string), 'a later millisecond sorts after')
  assert.equal(new Set(ids).size, ids.length, 'unique within one millisecond too')
  assert.match(timeOrderedUuid(0), /^00000000-0000-7/)
  assert.match(timeOrderedUuid(), V7)
})
