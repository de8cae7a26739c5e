// Each authentication policy of src/auth/policies/ alone, then the order authenticate() runs them
// in: every refusal asserts its reason, and a refused check stops the chain before any later work.
import { commandUsage } from '../../src/domain/usage-tracker.js'
import { NO_JWT_ISSUER, NO_JWT_VERIFIER, NO_SIGNING_KEYS } from '../../src/domain/disabled-features.js'
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { checkAppEnabled } from '../../src/auth/policies/app-disabled.js'
import { checkExpiry } from '../../src/auth/policies/expiry.js'
import { checkFormat } from '../../src/auth/policies/format.js'
import { checkAppLifetime } from '../../src/auth/policies/lifetime.js'
import { lookupToken, type JwtVerifier } from '../../src/auth/policies/lookup.js'
import { checkStatus } from '../../src/auth/policies/status.js'
import type { RequestPolicy } from '../../src/auth/policy.js'
import type { AuthRequest } from '../../src/auth/request.js'
import { authenticate, unusableReason, type AuthDomain } from '../../src/domain/authenticate.js'
import { DEFAULT_POLICIES } from '../../src/domain/context.js'
import { ScopeCatalogue } from '../../src/domain/scope-catalogue.js'
import type { AppRecord, TokenRecord } from '../../src/domain/model.js'
import { appRecord, tokenRecord } from '../fixtures/records.js'
import type { Store } from '../../src/domain/ports.js'
import { DEFAULT_OPAQUE_FORMAT, generateOpaqueToken, hashSecret } from '../../src/tokens/opaque-token.js'

const NOW = 1_800_000_000_000
const DAY = 86_400_000
const LIMITS = { maxTokenLifetimeMs: null, maxJwtLifetimeMs: 3_600_000 }
const REQUEST: AuthRequest = { ip: '203.0.113.7', requestId: 'req-1', method: 'POST', path: '/graphql' }

const app = (over: Partial<AppRecord> = {}): AppRecord => appRecord('app_a', { name: 'a', allowedScopes: ['tokens:read'], createdAt: NOW - 10 * DAY, ...over })

function token(over: Partial<TokenRecord> = {}): TokenRecord {
  return tokenRecord('Aa0Aa0Aa0Aa0Aa0A', { appId: 'app_a', name: 't', scopes: ['tokens:read'], secretHash: null, createdAt: NOW - DAY, expiresAt: NOW + DAY, ...over })
}

/** An opaque token and its row. */
function opaque(over: Partial<TokenRecord> = {}): { plaintext: string; row: TokenRecord } {
  const generated = generateOpaqueToken()
  return { plaintext: generated.plaintext, row: token({ id: generated.id, secretHash: hashSecret(generated.secret), ...over }) }
}

/** A domain over rows in memory that counts its reads. */
function fakeDomain(rows: { tokens?: TokenRecord[]; apps?: AppRecord[] }, extra: Partial<AuthDomain> = {}): { domain: AuthDomain; reads: string[] } {
  const reads: string[] = []
  const store = {
    getToken: (id: string) => (reads.push(`token:${id}`), Promise.resolve(rows.tokens?.find((t) => t.id === id) ?? null)),
    getApp: (id: string) => (reads.push(`app:${id}`), Promise.resolve(rows.apps?.find((a) => a.id === id) ?? null)),
  } as unknown as Store
  const base: AuthDomain = {
    store,
    catalogue: new ScopeCatalogue(store),
    clock: () => NOW,
    policies: DEFAULT_POLICIES,
    usage: commandUsage(store, () => NOW),
    authFailures: new Map(),
    jwt: NO_JWT_ISSUER,
    jwtVerifier: NO_JWT_VERIFIER,
    keys: NO_SIGNING_KEYS,
    requestPolicies: [],
    webhooks: { allowHttp: false, masterKey: null },
    tokenFormat: DEFAULT_OPAQUE_FORMAT,
  }
  const domain: AuthDomain = { ...base, ...extra }
  return { domain, reads }
}

describe('policy 1: format', () => {
  test('refuses empty and oversized text as malformed', () => {
    for (const presented of ['', 'x'.repeat(4097), `swt_${'a'.repeat(5000)}`]) assert.deepEqual(checkFormat(presented, true), { ok: false, reason: 'malformed' })
  })

  test('refuses an opaque-looking token with a wrong length, alphabet or checksum as bad_checksum', () => {
    const good = generateOpaqueToken().plaintext
    const flipped = good.slice(0, -1) + (good.endsWith('a') ? 'b' : 'a')
    for (const presented of ['swt_', `${good}x`, good.slice(0, -1), flipped, good.replace(/.$/, '!')]) {
      assert.deepEqual(checkFormat(presented, true), { ok: false, reason: 'bad_checksum' }, presented)
    }
  })

  test('accepts a well-formed opaque token, split into id and secret', () => {
    const generated = generateOpaqueToken()
    assert.deepEqual(checkFormat(generated.plaintext, false), { ok: true, credential: { kind: 'opaque', id: generated.id, secret: generated.secret } })
  })

  test('hands dotted text to the JWT verifier only when JWTs are enabled', () => {
    assert.deepEqual(checkFormat('a.b.c', true), { ok: true, credential: { kind: 'jwt', presented: 'a.b.c' } })
    assert.deepEqual(checkFormat('a.b.c', false), { ok: false, reason: 'malformed' })
    assert.deepEqual(checkFormat('ghp_notours', true), { ok: false, reason: 'malformed' })
  })
})

describe('policy 2: lookup', () => {
  const getToken = (rows: TokenRecord[]) => (id: string) => Promise.resolve(rows.find((t) => t.id === id) ?? null)

  test('finds the row of a token whose secret matches', async () => {
    const { plaintext, row } = opaque()
    const format = checkFormat(plaintext, false)
    assert.ok(format.ok)
    assert.deepEqual(await lookupToken(format.credential, { getToken: getToken([row]) }), { ok: true, token: row })
  })

  test('refuses an unknown id as unknown and a known id with another secret as wrong_secret', async () => {
    const { row } = opaque()
    assert.deepEqual(await lookupToken({ kind: 'opaque', id: 'Zz9Zz9Zz9Zz9Zz9Z', secret: 'x'.repeat(32) }, { getToken: getToken([row]) }), { ok: false, reason: 'unknown' })
    assert.deepEqual(await lookupToken({ kind: 'opaque', id: row.id, secret: 'x'.repeat(32) }, { getToken: getToken([row]) }), { ok: false, reason: 'wrong_secret' })
  })

  test('refuses a row without a secret (a JWT row) presented as an opaque token as unknown', async () => {
    const row = token({ kind: 'JWT', secretHash: null })
    assert.deepEqual(await lookupToken({ kind: 'opaque', id: row.id, secret: 'x'.repeat(32) }, { getToken: getToken([row]) }), { ok: false, reason: 'unknown' })
  })

  test('a JWT: the verifier’s refusal stands and nothing is read; then the row must be a JWT of the signed client', async () => {
    const row = token({ kind: 'JWT', appId: 'app_a' })
    let reads = 0
    const counted = async (id: string) => (reads++, getToken([row, token({ id: 'OpaqueRow0000000' })])(id))
    const verifier = (outcome: Awaited<ReturnType<JwtVerifier['verify']>>): JwtVerifier => ({ verify: () => Promise.resolve(outcome) })
    const jwt = { kind: 'jwt' as const, presented: 'h.p.s' }
    assert.deepEqual(await lookupToken(jwt, { getToken: counted, jwtVerifier: verifier({ ok: false, reason: 'bad_signature' }) }), { ok: false, reason: 'bad_signature' })
    assert.equal(reads, 0, 'a forged JWT costs no read')
    assert.deepEqual(await lookupToken(jwt, { getToken: counted, jwtVerifier: verifier({ ok: true, tokenId: 'Missing000000000', clientId: 'app_a', audiences: null }) }), {
      ok: false,
      reason: 'unknown',
    })
    assert.deepEqual(await lookupToken(jwt, { getToken: counted, jwtVerifier: verifier({ ok: true, tokenId: 'OpaqueRow0000000', clientId: 'app_a', audiences: null }) }), {
      ok: false,
      reason: 'unknown',
    })
    assert.deepEqual(await lookupToken(jwt, { getToken: counted, jwtVerifier: verifier({ ok: true, tokenId: row.id, clientId: 'app_b', audiences: null }) }), {
      ok: false,
      reason: 'bad_claims',
    })
    assert.deepEqual(await lookupToken(jwt, { getToken: counted, jwtVerifier: verifier({ ok: true, tokenId: row.id, clientId: 'app_a', audiences: null }) }), {
      ok: true,
      token: row,
    })
    // The signed aud must be the one the row recorded at issuance (RFC 8707 audiences).
    assert.deepEqual(await lookupToken(jwt, { getToken: counted, jwtVerifier: verifier({ ok: true, tokenId: row.id, clientId: 'app_a', audiences: ['https://api.example'] }) }), {
      ok: false,
      reason: 'bad_claims',
    })
    assert.deepEqual(await lookupToken(jwt, { getToken: counted }), { ok: false, reason: 'malformed' }, 'no verifier: JWTs are off')
  })
})

describe('policies 3-6: status, expiry, app disabled, lifetime', () => {
  test('status: a revoked token is refused, an unrevoked one passes', () => {
    assert.equal(checkStatus(token({ revokedAt: NOW - 1 }), NOW, LIMITS), 'revoked')
    assert.equal(checkStatus(token(), NOW, LIMITS), null)
  })

  test('expiry: refused at its expiresAt exactly, not a millisecond before; never-expiring passes', () => {
    assert.equal(checkExpiry(token({ expiresAt: NOW }), NOW, LIMITS), 'expired')
    assert.equal(checkExpiry(token({ expiresAt: NOW + 1 }), NOW, LIMITS), null)
    assert.equal(checkExpiry(token({ expiresAt: null }), NOW, LIMITS), null)
  })

  test('expiry: the instance lifetime cap and the JWT cap reach tokens issued before them', () => {
    const old = token({ expiresAt: null, createdAt: NOW - 2 * DAY })
    assert.equal(checkExpiry(old, NOW, { ...LIMITS, maxTokenLifetimeMs: DAY }), 'expired')
    assert.equal(checkExpiry(old, NOW, { ...LIMITS, maxTokenLifetimeMs: 3 * DAY }), null)
    const jwt = token({ kind: 'JWT', createdAt: NOW - 3_600_001 })
    assert.equal(checkExpiry(jwt, NOW, LIMITS), 'expired')
    assert.equal(checkExpiry({ ...jwt, kind: 'OPAQUE' }, NOW, LIMITS), null, 'the JWT cap is for JWTs only')
  })

  test('app disabled: a disabled or vanished app refuses its tokens', () => {
    assert.equal(checkAppEnabled(token(), app({ disabledAt: NOW - 1 }), NOW), 'app_disabled')
    assert.equal(checkAppEnabled(token(), null, NOW), 'app_disabled')
    assert.equal(checkAppEnabled(token(), app(), NOW), null)
  })

  test('lifetime: the app’s maximum, counted from creation, reaches tokens already issued', () => {
    const t = token({ expiresAt: null, createdAt: NOW - 2 * DAY })
    assert.equal(checkAppLifetime(t, app({ maxTokenLifetimeMs: DAY }), NOW), 'expired')
    assert.equal(checkAppLifetime(t, app({ maxTokenLifetimeMs: 2 * DAY }), NOW), null, 'exactly at the maximum it still lives')
    assert.equal(checkAppLifetime(t, app(), NOW), null)
    assert.equal(checkAppLifetime(t, null, NOW), null, 'a missing app is app disabled’s to refuse')
  })

  test('unusableReason (re-run inside writes) runs them in order: revoked wins over expired, expired over app_disabled', () => {
    const dead = token({ revokedAt: NOW - 1, expiresAt: NOW - 1 })
    assert.equal(unusableReason(fakeDomain({}).domain, dead, app({ disabledAt: NOW }), NOW), 'revoked')
    assert.equal(unusableReason(fakeDomain({}).domain, { ...dead, revokedAt: null }, app({ disabledAt: NOW }), NOW), 'expired')
    assert.equal(unusableReason(fakeDomain({}).domain, token(), app({ disabledAt: NOW }), NOW), 'app_disabled')
    assert.equal(unusableReason(fakeDomain({}).domain, token(), app(), NOW), null)
  })
})

describe('authenticate: the chain', () => {
  test('a malformed token or bad checksum reads nothing', async () => {
    const { domain, reads } = fakeDomain({})
    assert.deepEqual(await authenticate(domain, 'nonsense', REQUEST), { ok: false, reason: 'malformed' })
    assert.deepEqual(await authenticate(domain, `swt_${'a'.repeat(54)}`, REQUEST), { ok: false, reason: 'bad_checksum' })
    assert.deepEqual(reads, [])
  })

  test('an unknown id and a wrong secret read the same single row and never the app', async () => {
    const { plaintext, row } = opaque()
    const stranger = generateOpaqueToken(row.id).plaintext
    const { domain, reads } = fakeDomain({ tokens: [row], apps: [app()] })
    assert.deepEqual(await authenticate(domain, stranger, REQUEST), { ok: false, reason: 'wrong_secret' })
    assert.deepEqual(await authenticate(domain, generateOpaqueToken().plaintext, REQUEST), { ok: false, reason: 'unknown' })
    assert.equal(reads.length, 2)
    assert.ok(reads.every((r) => r.startsWith('token:')))
    assert.equal((await authenticate(domain, plaintext, REQUEST)).ok, true)
  })

  test('a revoked or expired token is refused before its app is read', async () => {
    for (const [over, reason] of [
      [{ revokedAt: NOW - 1 }, 'revoked'],
      [{ expiresAt: NOW - 1 }, 'expired'],
    ] as const) {
      const { plaintext, row } = opaque(over)
      const { domain, reads } = fakeDomain({ tokens: [row], apps: [app()] })
      assert.deepEqual(await authenticate(domain, plaintext, REQUEST), { ok: false, reason })
      assert.deepEqual(reads, [`token:${row.id}`])
    }
  })

  test('a usable token yields its principal: scopes within the app’s ceiling', async () => {
    const { plaintext, row } = opaque({ scopes: ['tokens:read', 'apps:read'] })
    const { domain } = fakeDomain({ tokens: [row], apps: [app()] })
    const result = await authenticate(domain, plaintext, REQUEST)
    assert.ok(result.ok)
    assert.deepEqual([...result.principal.scopes], ['tokens:read'])
    assert.deepEqual(result.principal.held, ['tokens:read'])
  })

  test('request policies see the authenticated token, the request and the use, in order, and the first refusal wins', async () => {
    const { plaintext, row } = opaque()
    const seen: string[] = []
    const policy = (name: string, refuse: boolean): RequestPolicy => ({
      name,
      check: (subject, request, use) => {
        seen.push(`${name}:${subject.token.id === row.id}:${request.ip}:${request.path}:${use}`)
        return refuse ? 'malformed' : null
      },
    })
    const { domain } = fakeDomain({ tokens: [row], apps: [app()] }, { requestPolicies: [policy('a', false), policy('b', true), policy('c', false)] })
    assert.deepEqual(await authenticate(domain, plaintext, REQUEST, 'subject_token'), { ok: false, reason: 'malformed' })
    assert.deepEqual(seen, ['a:true:203.0.113.7:/graphql:subject_token', 'b:true:203.0.113.7:/graphql:subject_token'])
  })

  test('request policies never run for a token refused earlier: they cannot tell a stranger an id exists', async () => {
    const { row } = opaque()
    let calls = 0
    const { domain } = fakeDomain(
      { tokens: [row, token({ id: 'Revoked000000000', revokedAt: NOW })], apps: [app()] },
      { requestPolicies: [{ name: 'spy', check: () => (calls++, null) }] },
    )
    await authenticate(domain, generateOpaqueToken(row.id).plaintext, REQUEST)
    await authenticate(domain, generateOpaqueToken().plaintext, REQUEST)
    assert.equal(calls, 0)
  })
})
