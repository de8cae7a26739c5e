// The narrowing rules of token constraints (src/domain/token-constraints.ts) and the allowlist
// policy's choice of uses (src/auth/policies/ip-allowlist.ts).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ipAllowlist } from '../../src/auth/policies/ip-allowlist.js'
import type { AuthRequest, TokenUse } from '../../src/auth/request.js'
import type { AppRecord, ConstraintSet, TokenRecord } from '../../src/domain/model.js'
import { narrowedTo, parseAppConstraints, parseConstraints, widerMember } from '../../src/domain/token-constraints.js'

const MIN = 60_000
const without = (set: ConstraintSet, key: keyof ConstraintSet): ConstraintSet => Object.fromEntries(Object.entries(set).filter(([k]) => k !== key))
const parent: ConstraintSet = {
  allowedCidrs: ['10.0.0.0/8', '2001:db8::/32'],
  rateLimit: { limit: 100, windowMs: MIN },
  credits: { remaining: 50, refill: { amount: 50, intervalMs: 24 * 60 * MIN } },
}

describe('constraints only narrow', () => {
  test('a set within its bound passes: a subset of ranges, a lower limit over a longer window, fewer credits, a smaller rarer refill', () => {
    const child: ConstraintSet = {
      allowedCidrs: ['10.1.0.0/16', '2001:db8:1::/48'],
      rateLimit: { limit: 10, windowMs: 60 * MIN },
      credits: { remaining: 5, refill: { amount: 5, intervalMs: 48 * 60 * MIN } },
    }
    assert.equal(widerMember(child, parent), null)
    assert.equal(widerMember(parent, parent), null)
    assert.equal(widerMember({}, {}), null)
    assert.equal(widerMember(parent, {}), null)
  })

  test('each way of widening names its member', () => {
    const cases: [ConstraintSet, string][] = [
      [without(parent, 'allowedCidrs'), 'allowedCidrs'],
      [{ ...parent, allowedCidrs: ['10.0.0.0/7'] }, 'allowedCidrs'],
      [{ ...parent, allowedCidrs: ['10.0.0.0/8', '11.0.0.1'] }, 'allowedCidrs'],
      [without(parent, 'rateLimit'), 'rateLimit'],
      [{ ...parent, rateLimit: { limit: 101, windowMs: MIN } }, 'rateLimit'],
      [{ ...parent, rateLimit: { limit: 100, windowMs: MIN - 1000 } }, 'rateLimit'],
      [without(parent, 'credits'), 'credits'],
      [{ ...parent, credits: { remaining: 51, refill: null } }, 'credits'],
      [{ ...parent, credits: { remaining: 1, refill: { amount: 51, intervalMs: 24 * 60 * MIN } } }, 'credits'],
      [{ ...parent, credits: { remaining: 1, refill: { amount: 1, intervalMs: MIN } } }, 'credits'],
    ]
    for (const [child, member] of cases) {
      assert.equal(widerMember(child, parent)?.member, member, JSON.stringify(child))
    }
    assert.equal(widerMember({ credits: { remaining: 1, refill: { amount: 1, intervalMs: MIN } } }, { credits: { remaining: 5, refill: null } })?.member, 'credits')
  })

  test('narrowing a child to a narrowed parent intersects ranges and takes the stricter limit and balance', () => {
    const child: ConstraintSet = { allowedCidrs: ['10.0.0.0/8', '192.168.0.0/16'], rateLimit: { limit: 500, windowMs: MIN }, credits: { remaining: 40, refill: null } }
    const narrowed = narrowedTo(child, { allowedCidrs: ['10.1.0.0/16'], rateLimit: { limit: 10, windowMs: MIN }, credits: { remaining: 3, refill: null } })
    assert.deepEqual(narrowed, { allowedCidrs: ['10.1.0.0/16'], rateLimit: { limit: 10, windowMs: MIN }, credits: { remaining: 3, refill: null } })
    assert.deepEqual(narrowedTo({ allowedCidrs: ['192.168.0.0/16'] }, { allowedCidrs: ['10.0.0.0/8'] }).allowedCidrs, [])
    assert.deepEqual(narrowedTo({}, parent), parent)
  })

  test('parsing refuses each bad member by name', () => {
    assert.throws(() => parseConstraints({ allowedCidrs: [] }), /allowedCidrs: give at least one range/)
    assert.throws(() => parseConstraints({ allowedCidrs: ['10.0.0.0/40'] }), /allowedCidrs: "10.0.0.0\/40" has a prefix length out of range/)
    assert.throws(() => parseConstraints({ rateLimit: { limit: 1.5, window: '1m' } }), /rateLimit.limit/)
    assert.throws(() => parseConstraints({ credits: { remaining: -1 } }), /credits.remaining/)
    assert.throws(() => parseConstraints({ credits: { remaining: 1, refill: { amount: 0, interval: '1d' } } }), /credits.refill.amount/)
    assert.deepEqual(parseConstraints({ rateLimit: { limit: 100, window: '1m' } }), { rateLimit: { limit: 100, windowMs: MIN } })
  })

  test("an app's own tokens may tighten its maximum, never loosen it; defaults must lie within it", () => {
    const current = { defaults: null, maximum: parent }
    assert.throws(
      () => parseAppConstraints({ maximum: { allowedCidrs: ['0.0.0.0/0'], rateLimit: { limit: 100, window: '1m' }, credits: { remaining: 50 } } }, current, false),
      /ALLOWLIST|allowedCidrs/,
    )
    assert.throws(() => parseAppConstraints(null, current, false), /allowedCidrs/)
    assert.ok(parseAppConstraints(null, current, true) === null)
    assert.throws(() => parseAppConstraints({ defaults: { credits: { remaining: 100 } }, maximum: { credits: { remaining: 10 } } }, null, true), /credits/)
  })
})

describe('ip allowlist policy', () => {
  const token = { id: 't', constraints: { allowedCidrs: ['10.0.0.0/8'] } } as unknown as TokenRecord
  const app = {} as AppRecord
  const at = (ip: string | null): AuthRequest => ({ ip, requestId: null, method: 'POST', path: '/graphql' })
  const check = (ip: string | null, use: TokenUse) => ipAllowlist.check({ token, app }, at(ip), use)

  test("guards the token's holder (bearer, subject and actor tokens), not who introspects or revokes it", () => {
    for (const use of ['bearer', 'subject_token', 'actor_token'] as const) {
      assert.equal(check('10.2.3.4', use), null)
      assert.equal(check('192.0.2.1', use), 'address_not_allowed')
      assert.equal(check(null, use), 'address_not_allowed')
    }
    for (const use of ['introspected', 'revoked'] as const) assert.equal(check('192.0.2.1', use), null)
  })

  test('a token without an allowlist passes from anywhere', () => {
    assert.equal(ipAllowlist.check({ token: { constraints: null } as unknown as TokenRecord, app }, at('192.0.2.1'), 'bearer'), null)
  })

  test("a rotated token is held to its own allowlist and its successor's", () => {
    const successor = { constraints: { allowedCidrs: ['10.2.0.0/16'] } } as unknown as TokenRecord
    const open = { constraints: { successor: 'next' } } as unknown as TokenRecord
    assert.equal(ipAllowlist.check({ token, app, successor }, at('10.2.3.4'), 'bearer'), null)
    assert.equal(ipAllowlist.check({ token, app, successor }, at('10.9.0.1'), 'bearer'), 'address_not_allowed', "inside its own, outside its successor's")
    assert.equal(ipAllowlist.check({ token: open, app, successor }, at('192.0.2.1'), 'bearer'), 'address_not_allowed')
    assert.equal(ipAllowlist.check({ token: open, app, successor: null }, at('192.0.2.1'), 'bearer'), null)
  })
})
