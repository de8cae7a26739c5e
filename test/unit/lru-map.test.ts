// LruMap (src/lru-map.ts): the bound of a throttle's keys.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LruMap } from '../../src/lru-map.js'

test('never holds more than max keys: past it, the least recently used is dropped', () => {
  const map = new LruMap<string, number>(3)
  for (let i = 0; i < 10; i++) map.set(`k${i}`, i)
  assert.equal(map.size, 3)
  assert.deepEqual(
    ['k6', 'k7', 'k8', 'k9'].map((k) => map.get(k)),
    [undefined, 7, 8, 9],
  )
})

test('a key read or written again is the most recent, so another one is dropped in its place', () => {
  const map = new LruMap<string, number>(2)
  map.set('a', 1).set('b', 2)
  assert.equal(map.get('a'), 1)
  map.set('c', 3)
  assert.equal(map.get('b'), undefined, 'b was the least recently used')
  assert.equal(map.get('a'), 1)
  map.set('a', 10).set('d', 4)
  assert.equal(map.get('c'), undefined, 'c was the least recently used')
  assert.equal(map.get('a'), 10)
  assert.equal(map.size, 2)
})

test('refuses a bound that is not a positive integer', () => {
  for (const max of [0, -1, 1.5, Number.NaN]) assert.throws(() => new LruMap(max), RangeError)
})
