import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { assertDeclared, assertScopeName, closeUnderImplies, wouldCycle } from '../../src/domain/scope-rules.js'
import { formatDuration, parseDuration } from '../../src/domain/duration.js'
import type { ScopewardError } from '../../src/errors.js'

const graph = { a: ['b'], b: ['c'], c: [], d: ['a', 'e'], e: [] }

describe('scope closure', () => {
  test('closes held scopes transitively under implies', () => {
    assert.deepEqual([...closeUnderImplies(['a'], graph)].sort(), ['a', 'b', 'c'])
    assert.deepEqual([...closeUnderImplies(['d'], graph)].sort(), ['a', 'b', 'c', 'd', 'e'])
    assert.deepEqual([...closeUnderImplies(['c'], graph)], ['c'])
  })

  test('keeps an undeclared scope as itself and implies nothing from it', () => {
    assert.deepEqual([...closeUnderImplies(['zz'], graph)], ['zz'])
  })

  test('detects a cycle an implication would close', () => {
    assert.equal(wouldCycle('c', ['a'], graph), true)
    assert.equal(wouldCycle('new', ['a'], graph), false)
    assert.equal(wouldCycle('x', ['x'], graph), true)
  })

  test('accepts names of the grammar and refuses the rest', () => {
    for (const ok of ['tokens:read', 'a', 'a-b_c:d0']) assert.doesNotThrow(() => assertScopeName(ok, 'scopes'))
    for (const bad of ['', 'Tokens:read', 'tokens:', ':read', 'tokens read', 'a::b', '1a', 'x'.repeat(101)]) {
      assert.throws(
        () => assertScopeName(bad, 'scopes'),
        (e: ScopewardError) => e.code === 'BAD_USER_INPUT' && e.field === 'scopes',
      )
    }
  })

  test('names every undeclared scope at once', () => {
    assert.throws(
      () => assertDeclared(['a', 'nope', 'zip'], graph, 'scopes'),
      (e: ScopewardError) => e.code === 'BAD_USER_INPUT' && JSON.stringify(e.details) === JSON.stringify({ unknownScopes: ['nope', 'zip'] }),
    )
  })
})

describe('ISO 8601 durations', () => {
  test('parses the usual forms to milliseconds', () => {
    assert.equal(parseDuration('PT15M', 'x'), 15 * 60_000)
    assert.equal(parseDuration('P30D', 'x'), 30 * 86_400_000)
    assert.equal(parseDuration('P1DT2H', 'x'), 26 * 3_600_000)
    assert.equal(parseDuration('P2W', 'x'), 14 * 86_400_000)
    assert.equal(parseDuration('P1Y', 'x'), 365 * 86_400_000)
  })

  test('refuses malformed, empty, zero, negative and fractional durations, naming the field', () => {
    for (const bad of ['', 'P', 'PT', '15M', 'PT-5M', 'P1.5D', 'PT0S', 'P0D', 'p1d', 'P1D ', 'P1000Y']) {
      assert.throws(
        () => parseDuration(bad, 'expiresIn'),
        (e: ScopewardError) => e.code === 'BAD_USER_INPUT' && e.field === 'expiresIn',
        bad,
      )
    }
  })

  test('formats milliseconds back canonically', () => {
    assert.equal(formatDuration(parseDuration('P30D', 'x')), 'P30D')
    assert.equal(formatDuration(parseDuration('PT1H30M', 'x')), 'PT1H30M')
    assert.equal(formatDuration(parseDuration('P1DT1S', 'x')), 'P1DT1S')
  })
})
