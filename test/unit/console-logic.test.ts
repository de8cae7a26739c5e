// Issue 13: the console's page logic (console/src/logic.ts), without a browser.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  abilities,
  BUILT_IN_IMPLIES,
  closeScopes,
  constraintsInput,
  durationMs,
  durationWords,
  EMPTY_CONSTRAINTS,
  expiringWithin,
  expiryPresets,
  expiryProblem,
  expiryWeeks,
  formatTime,
  grantableScopes,
  pageOf,
  signInMessage,
  toggled,
  tokenOrder,
  trimDiff,
  usageSeries,
} from '../../console/src/logic.js'

test('13 abilities: write implies read, and an action is offered only with its scope', () => {
  const readOnly = abilities(closeScopes(['tokens:read'], BUILT_IN_IMPLIES))
  assert.equal(readOnly.readTokens, true)
  assert.equal(readOnly.writeTokens, false)
  const writer = abilities(closeScopes(['tokens:write'], BUILT_IN_IMPLIES))
  assert.equal(writer.readTokens, true)
  assert.equal(writer.writeTokens, true)
  assert.equal(writer.readApps, false)
})

test('13 grantable scopes: within the app ceiling and held by the caller', () => {
  const held = closeScopes(['tokens:write'], BUILT_IN_IMPLIES)
  assert.deepEqual(grantableScopes(held, ['tokens:read', 'apps:read', 'tokens:write'], false), ['tokens:read', 'tokens:write'])
  assert.deepEqual(grantableScopes(held, ['apps:read', 'billing:charge'], true), ['apps:read', 'billing:charge'])
})

test('13 durations and the app ceiling: presets within it, a longer custom lifetime refused before sending', () => {
  assert.equal(durationMs('P7D'), 7 * 86_400_000)
  assert.equal(durationMs('PT1H30M'), 5_400_000)
  assert.equal(durationMs('P1Y'), 365 * 86_400_000)
  for (const bad of ['', 'P', 'PT', '7D', 'P-1D', 'P1DT']) assert.equal(durationMs(bad), null, bad)
  assert.deepEqual(
    expiryPresets('P7D').map((p) => p.value),
    ['PT1H', 'P1D', 'P7D'],
  )
  assert.equal(expiryPresets(null).length, 6)
  assert.equal(expiryProblem('P14D', null), null)
  assert.match(expiryProblem('P14D', 'P7D') ?? '', /maximum lifetime \(P7D\)/)
  assert.match(expiryProblem('soon', null) ?? '', /ISO 8601/)
})

test('13 token sort choices map to the server order: created and last used newest first, expiry soonest first', () => {
  assert.deepEqual(tokenOrder('created'), { sort: 'CREATED', descending: true })
  assert.deepEqual(tokenOrder('lastUsed'), { sort: 'LAST_USED', descending: true })
  assert.deepEqual(tokenOrder('expires'), { sort: 'EXPIRES', descending: false })
})

test('13 usage series: every day of the window oldest first, quiet days and scopes as zero, days outside dropped', () => {
  const now = Date.parse('2026-12-06T15:00:00Z')
  const { days, scopes } = usageSeries(
    [
      { day: '2026-12-04', scope: 'tokens:read', count: 3 },
      { day: '2026-12-06', scope: 'apps:read', count: 1 },
      { day: '2026-12-06', scope: 'tokens:read', count: 2 },
      { day: '2026-11-01', scope: 'audit:read', count: 9 },
    ],
    3,
    now,
  )
  assert.deepEqual(scopes, ['apps:read', 'tokens:read'], 'a scope used only outside the window is not drawn')
  assert.deepEqual(
    days.map((d) => [d.day, d.total, d.counts['tokens:read'], d.counts['apps:read']]),
    [
      ['2026-12-04', 3, 3, 0],
      ['2026-12-05', 0, 0, 0],
      ['2026-12-06', 3, 2, 1],
    ],
  )
  assert.equal(usageSeries([], 30, now).days.length, 30)
  assert.equal(usageSeries([], 30, now).days[29]?.day, '2026-12-06')
})

test('13 pages from paths, times for cells, sign-in messages', () => {
  assert.equal(pageOf('/console/'), 'tokens')
  assert.equal(pageOf('/console/token'), 'token')
  assert.equal(pageOf('/console/explorer'), 'explorer')
  assert.equal(pageOf('/console/issue/'), 'issue')
  assert.equal(pageOf('/console/unknown'), 'tokens')
  assert.equal(formatTime('2026-01-02T03:04:05.678Z'), '2026-01-02 03:04 UTC')
  assert.equal(formatTime(null), '—')
  assert.match(signInMessage('UNAUTHENTICATED', 401), /expired or revoked/)
  assert.match(signInMessage(undefined, 429), /Too many/)
})

test('13 lifetimes: expiry weeks, expiring within N days, and the trim diff', () => {
  const now = Date.parse('2026-01-01T00:00:00.000Z')
  const at = (days: number) => new Date(now + days * 86_400_000).toISOString()
  assert.deepEqual(expiryWeeks([at(1), at(6.9), at(7), at(20), null, at(-1), at(100)], now, 4), [2, 1, 1, 0])
  const rows = [{ expiresAt: at(3) }, { expiresAt: at(10) }, { expiresAt: null }, { expiresAt: at(-2) }]
  assert.deepEqual(expiringWithin(rows, now, 7), [{ expiresAt: at(3) }])
  assert.equal(expiringWithin(rows, now, 30).length, 2)
  assert.deepEqual(trimDiff(['tokens:write', 'apps:read'], ['apps:read', 'tokens:read']), [
    { scope: 'apps:read', change: 'kept' },
    { scope: 'tokens:write', change: 'removed' },
    { scope: 'tokens:read', change: 'added' },
  ])
})

test('15 constraint fields: empty sets nothing, filled ones become TokenConstraintsInput, a malformed number names its field', () => {
  assert.deepEqual(constraintsInput(EMPTY_CONSTRAINTS, ''), { input: null })
  const all = { cidrs: ' 10.0.0.0/8\n127.0.0.1, 2001:db8::/32 ', rateLimit: '100', rateWindow: '1m', credits: '500', refillAmount: '50', refillInterval: '1d' }
  assert.deepEqual(constraintsInput(all, ''), {
    input: {
      allowedCidrs: ['10.0.0.0/8', '127.0.0.1', '2001:db8::/32'],
      rateLimit: { limit: 100, window: '1m' },
      credits: { remaining: 500, refill: { amount: 50, interval: '1d' } },
    },
  })
  // Ranges are the API's to judge: passed on as typed.
  assert.deepEqual(constraintsInput({ ...EMPTY_CONSTRAINTS, cidrs: '10.0.0.0/33' }, ''), { input: { allowedCidrs: ['10.0.0.0/33'] } })
  const problems: [Partial<typeof EMPTY_CONSTRAINTS>, RegExp][] = [
    [{ rateLimit: '1.5' }, /^Rate limit: give a whole number/],
    [{ rateLimit: '-3' }, /^Rate limit: give a whole number/],
    [{ rateLimit: '10', rateWindow: ' ' }, /^Rate limit: give its window/],
    [{ credits: 'lots' }, /^Credits: give a whole number/],
    [{ credits: '5', refillAmount: 'x' }, /^Credit refill: give a whole number/],
    [{ credits: '5', refillAmount: '5', refillInterval: '' }, /^Credit refill: give its interval/],
    [{ refillAmount: '5' }, /^Credit refill: give the credits it refills/],
  ]
  for (const [draft, problem] of problems) {
    const out = constraintsInput({ ...EMPTY_CONSTRAINTS, ...draft }, '')
    assert.ok('problem' in out && problem.test(out.problem), JSON.stringify([draft, out]))
  }
  const derived = constraintsInput({ ...EMPTY_CONSTRAINTS, credits: 'x' }, 'Derived ')
  assert.ok('problem' in derived && derived.problem.startsWith('Derived credits:'))
  assert.deepEqual([...toggled(new Set(['a']), 'b', true)], ['a', 'b'])
  assert.deepEqual([...toggled(new Set(['a', 'b']), 'a', false)], ['b'])
})

test('15 a rate-limit window and a refill interval read as words on the token page, not as ISO durations', () => {
  assert.equal(durationWords('PT1M'), 'minute')
  assert.equal(durationWords('P1D'), 'day')
  assert.equal(durationWords('PT5M'), '5 minutes')
  assert.equal(durationWords('P1DT12H'), '1 day 12 hours')
  assert.equal(durationWords('P2M'), '2 months')
  assert.equal(durationWords('PT90S'), '90 seconds')
  // Not a duration (or a zero one): shown as sent, never hidden or guessed at.
  for (const odd of ['', 'P', 'PT0S', 'soon']) assert.equal(durationWords(odd), odd)
})
