// Signing keys over their life, attacked: JWT lifetimes cannot pin keys (11.4), an emergency
// rotation kills what the old key signed (11.4), a new key is published before it signs (18.13).
// Runs on PostgreSQL too (SCOPEWARD_TEST_DB=postgres).
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose'
import { KeyRing } from '../../src/tokens/key-ring.js'
import { openStore } from '../../src/store/open-store.js'
import { auditCount, createApp, dataOf, DERIVE, errorCodes, issue, ISSUE, REVOKE, runSql, startServer, tokenCount, type TestServer } from './harness.js'
import { waitFor } from '../wait-for.js'

const MINUTE = 60_000
const KEYS = '{ signingKeys { kid status retireAfter activatesAt } }'
const ROTATE_KEY = 'mutation($revokeOld: Boolean) { rotateSigningKey(revokeOld: $revokeOld) { kid status activatesAt } }'

const jwks = async (server: TestServer): Promise<JSONWebKeySet> => (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet
const jwksKids = async (server: TestServer): Promise<string[]> => (await jwks(server)).keys.map((k) => k.kid as string)
const ring = (server: TestServer): KeyRing => server.app.domain.keys as KeyRing
const kidOf = (jwt: string): string => decodeProtectedHeader(jwt).kid as string
const keyStatus = async (server: TestServer, kid: string): Promise<string | undefined> => (await server.app.store.listSigningKeys()).find((k) => k.kid === kid)?.status
const jwt = (server: TestServer, input: Record<string, unknown> = {}, token?: string) => issue(server, { kind: 'JWT', scopes: ['tokens:read'], ...input }, token)
const status = async (server: TestServer, token: string): Promise<number> => (await server.gql('{ viewer { id } }', { token })).status

describe('11.4 one long JWT no longer pins every signing key', () => {
  let server: TestServer
  before(async () => {
    server = await startServer()
  })
  after(() => server.stop())

  test('11.4 a JWT longer than SCOPEWARD_MAX_JWT_LIFETIME (default PT1H) is refused, not shortened, on every path that makes one', async () => {
    const events = await auditCount(server)
    const tokens = await tokenCount(server)
    const long = await server.gql(ISSUE, { variables: { input: { name: 'long', kind: 'JWT', scopes: ['tokens:read'], expiresIn: 'P100Y' } } })
    assert.deepEqual(errorCodes(long), ['BAD_USER_INPUT'])
    assert.match(long.body.errors?.[0]?.message ?? '', /exceeds the maximum JWT lifetime of PT1H/)
    const parent = await issue(server, { scopes: ['tokens:read', 'tokens:write'] })
    const afterParent = await auditCount(server)
    const derived = await server.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'd', kind: 'JWT', scopes: ['tokens:read'], expiresIn: 'PT61M' } } })
    assert.deepEqual(errorCodes(derived), ['BAD_USER_INPUT'])
    assert.equal(await auditCount(server), afterParent, 'no audit event')
    assert.equal(await tokenCount(server), tokens + 1, 'no row but the parent')
    assert.equal(afterParent, events + 1)
    const hour = await jwt(server, { expiresIn: 'PT1H' })
    assert.equal(await status(server, hour.secret), 200, 'exactly the cap is allowed')
  })

  test('11.4 a JWT issued before the cap (a P100Y row) stops at use once older than the cap, and pins no key beyond it', async () => {
    const token = await jwt(server, { expiresIn: 'PT1H' })
    // As the attack left it before the fix: the row says 100 years.
    await runSql(server.dbPath, `UPDATE tokens SET expires_at = ${Date.now() + 100 * 365 * 24 * 60 * MINUTE} WHERE id = '${token.id}'`)
    assert.equal(await status(server, token.secret), 200)
    const usable = await server.app.store.jwtExpiriesByKid(Date.now(), 60 * MINUTE)
    assert.ok((usable.get(kidOf(token.secret)) as number) <= Date.now() + 60 * MINUTE, 'its key is pinned for at most the cap')
    server.advance(61 * MINUTE)
    assert.equal(await status(server, token.secret), 401)
  })

  test('11.4 a revoked JWT no longer keeps its key published: retirement counts the unrevoked JWTs each key signed', async () => {
    const s = await startServer()
    try {
      const long = await jwt(s, { expiresIn: 'PT1H' })
      const oldKid = kidOf(long.secret)
      const rotated = dataOf(await s.gql(ROTATE_KEY)).rotateSigningKey
      s.advance(7 * MINUTE) // past the new key's activation
      await ring(s).refresh()
      assert.ok((await jwksKids(s)).includes(oldKid), 'the old key still verifies the hour-long JWT it signed')
      assert.notEqual(kidOf((await jwt(s)).secret), oldKid, 'the new key signs now')
      assert.equal(await status(s, long.secret), 200)

      dataOf(await s.gql(REVOKE, { variables: { id: long.id } }))
      await ring(s).refresh()
      assert.deepEqual(await jwksKids(s), [rotated.kid], 'nothing unrevoked pins the old key: it left the JWKS')
      const stored = (await s.app.store.listSigningKeys()).find((k) => k.kid === oldKid)
      assert.equal(stored?.status, 'RETIRED')
      assert.equal(stored?.privateKey, '', 'a RETIRED key keeps no private key')
      const keys = dataOf(await s.gql(KEYS)).signingKeys
      assert.deepEqual(
        keys.map((k: { status: string }) => k.status),
        ['RETIRED', 'ACTIVE'],
      )
    } finally {
      await s.stop()
    }
  })

  test('11.4 rotateSigningKey(revokeOld: true) retires the old key at once and revokes the JWTs it signed, with their derived tokens', async () => {
    const s = await startServer()
    try {
      const victim = await jwt(s, { scopes: ['tokens:read', 'tokens:write'] })
      const child = dataOf(await s.gql(DERIVE, { token: victim.secret, variables: { input: { name: 'child', scopes: ['tokens:read'] } } })).deriveToken
      const opaque = await issue(s, { scopes: ['tokens:read'] })
      const oldKid = kidOf(victim.secret)
      const rotated = dataOf(await s.gql(ROTATE_KEY, { variables: { revokeOld: true } })).rotateSigningKey
      assert.equal(rotated.activatesAt, null, 'an emergency key signs at once')
      assert.equal(await status(s, victim.secret), 401)
      assert.equal(await status(s, child.secret), 401, 'derived from a revoked JWT')
      assert.equal(await status(s, opaque.secret), 200, 'opaque tokens are signed by no key')
      assert.deepEqual(await jwksKids(s), [rotated.kid])
      assert.equal(await keyStatus(s, oldKid), 'RETIRED')
      const fresh = await jwt(s)
      assert.equal(kidOf(fresh.secret), rotated.kid)
      assert.equal(await status(s, fresh.secret), 200)
      const [event] = (await s.app.store.listAuditEvents({ action: 'key.rotate', limit: 10 })).rows
      assert.deepEqual(event?.details.retired, [oldKid])
      assert.deepEqual([...(event?.details.revoked as string[])].sort(), [victim.id, child.token.id].sort())
    } finally {
      await s.stop()
    }
  })

  test('11.4 a token of another app holding keys:write cannot rotate (with or without revokeOld): FORBIDDEN, nothing changed', async () => {
    const other = await createApp(server, { name: 'key-thief', allowedScopes: ['keys:write', 'keys:read'] })
    const thief = await issue(server, { appId: other.id, scopes: ['keys:write'] })
    const events = await auditCount(server)
    const keys = await server.app.store.listSigningKeys()
    for (const revokeOld of [true, false]) {
      const refused = await server.gql(ROTATE_KEY, { token: thief.secret, variables: { revokeOld } })
      assert.deepEqual(errorCodes(refused), ['FORBIDDEN'])
    }
    assert.deepEqual(await server.app.store.listSigningKeys(), keys)
    assert.equal(await auditCount(server), events)
  })
})

describe('18.13 a new signing key is published before it signs', () => {
  test('18.13 after a rotation the JWKS lists the new key at once, the old key signs until activatesAt, and a JWKS cached before the switch verifies what the new key signs', async () => {
    const s = await startServer()
    try {
      const oldKid = kidOf((await jwt(s)).secret)
      const rotated = dataOf(await s.gql(ROTATE_KEY)).rotateSigningKey
      const activatesAt = Date.parse(rotated.activatesAt)
      assert.ok(activatesAt - Date.now() >= 6 * MINUTE - 1000, 'the default delay covers the JWKS max-age (300 s) and a minute')
      // A resource server fetches (and caches) the JWKS right after the rotation.
      const cached = createLocalJWKSet(await jwks(s))
      assert.deepEqual(new Set(await jwksKids(s)), new Set([oldKid, rotated.kid]))
      assert.equal(kidOf((await jwt(s)).secret), oldKid, 'before activatesAt the old key still signs')
      s.advance(activatesAt - Date.now() + 1000)
      const fresh = (await jwt(s)).secret
      assert.equal(kidOf(fresh), rotated.kid)
      const { payload } = await jwtVerify(fresh, cached, { currentDate: new Date(activatesAt + 1000) })
      assert.equal(typeof payload.jti, 'string', 'the cached JWKS already knew the new kid')
    } finally {
      await s.stop()
    }
  })

  test('18.13 without any notification (another process writes the database) the server serves a new key and a new scope within SCOPEWARD_CACHE_REFRESH_MS', async () => {
    const s = await startServer({ env: { SCOPEWARD_CACHE_REFRESH_MS: '200' } })
    // A second, unsubscribed store on the same database: as another process (a CLI command) would write.
    const other = s.dbPath.startsWith('postgres') ? null : await openStore(s.dbPath)
    try {
      const store = other ?? s.app.store
      const audit = (action: string) => ({ id: randomUUID(), at: Date.now(), actor: null, appId: null, action, target: null, requestId: null, ip: null, details: {} })
      const elsewhere = new KeyRing({ store, clock: Date.now, masterKey: null, maxJwtLifetimeMs: 60 * MINUTE, activationDelayMs: 6 * MINUTE, auditFor: audit })
      await elsewhere.refresh()
      const { kid } = await elsewhere.rotate(null, audit('key.rotate'))
      await store.insertScope({ name: 'reports:read', description: 'r', implies: [], builtIn: false, createdAt: Date.now() }, audit('scope.create'))
      await within(5_000, 'the new key in the JWKS', async () => (await jwksKids(s)).includes(kid))
      await within(5_000, 'the new scope served', async () => dataOf(await s.gql('{ scopes { name } }')).scopes.some((x: { name: string }) => x.name === 'reports:read'))
    } finally {
      await other?.close()
      await s.stop()
    }
  })
})

/** Polls `check` until it holds; fails after `ms`. */
async function within(ms: number, what: string, check: () => Promise<boolean>): Promise<void> {
  await waitFor(check, { timeoutMs: ms, intervalMs: 25, what })
}
