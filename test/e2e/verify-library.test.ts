// scopeward/verify as a resource server uses it: a tiny Express API guarded by requireToken,
// against a real Scopeward server. Opaque tokens go through POST /v1/verify (cached), JWTs are
// checked locally against the JWKS; revocation, scopes and audiences decide as documented.
import assert from 'node:assert/strict'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import express from 'express'
import { createVerifier, requireToken, type Verifier } from '../../src/verify/index.js'
import { createApp, dataOf, issue, REVOKE, startServer, type TestServer } from './harness.js'

const BILLING = 'https://billing.example/api'
const SECRET = 'mutation($appId: ID!, $scopes: [String!]) { createClientSecret(appId: $appId, scopes: $scopes) { secret } }'

/** A resource server: GET /read needs tokens:read, GET /audit needs audit:read; both answer what the verifier said. */
async function resourceServer(verifier: Verifier): Promise<{ url: string; close(): Promise<void> }> {
  const api = express()
  api.get('/read', requireToken(verifier, { requiredScopes: [['tokens:read']] }), (req, res) => {
    res.json({ auth: (req as unknown as { auth: unknown }).auth })
  })
  api.get('/audit', requireToken(verifier, { requiredScopes: [['audit:read']] }), (_req, res) => {
    res.json({ ok: true })
  })
  const server: Server = await new Promise((resolve) => {
    const s = api.listen(0, '127.0.0.1', () => resolve(s))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

describe('scopeward/verify with Express', () => {
  let scopeward: TestServer
  let appId: string
  let clientSecret: string
  // Not 0: lru-cache reads a start time of 0 as "no TTL".
  let now = 1_000_000
  let verifier: Verifier
  let api: { url: string; close(): Promise<void> }

  const call = async (base: string, path: string, token: string | null) => {
    const res = await fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
    return { status: res.status, headers: res.headers, body: (await res.json()) as any }
  }

  before(async () => {
    scopeward = await startServer()
    appId = (await createApp(scopeward, { name: 'billing', allowedScopes: ['tokens:read', 'tokens:write', 'audit:read', 'tokens:introspect'], audiences: [BILLING] })).id
    clientSecret = dataOf(await scopeward.gql(SECRET, { variables: { appId, scopes: ['tokens:introspect'] } })).createClientSecret.secret
    verifier = createVerifier({ issuer: scopeward.url, credentials: { clientId: appId, clientSecret }, cacheTtlMs: 5000, now: () => now })
    api = await resourceServer(verifier)
  })
  after(async () => {
    await api.close()
    await scopeward.stop()
  })

  test('a valid opaque token passes, through /v1/verify and then the cache', async () => {
    const token = await issue(scopeward, { appId, scopes: ['tokens:read'], subject: 'alice' })
    const first = await call(api.url, '/read', token.secret)
    assert.equal(first.status, 200)
    assert.deepEqual([first.body.auth.valid, first.body.auth.tokenId, first.body.auth.subject, first.body.auth.source], [true, token.id, 'alice', 'remote'])
    assert.equal((await call(api.url, '/read', token.secret)).body.auth.source, 'cache')
  })

  test('a valid JWT passes, checked locally against the JWKS', async () => {
    const jwt = await issue(scopeward, { appId, scopes: ['tokens:read'], kind: 'JWT' })
    const answer = await call(api.url, '/read', jwt.secret)
    assert.equal(answer.status, 200)
    assert.deepEqual([answer.body.auth.tokenId, answer.body.auth.appId, answer.body.auth.source], [jwt.id, appId, 'jwt'])
    // implies is Scopeward's to apply: a tokens:write JWT is sent to /v1/verify, which knows it holds tokens:read.
    const writer = await issue(scopeward, { appId, scopes: ['tokens:write'], kind: 'JWT' })
    const implied = await call(api.url, '/read', writer.secret)
    assert.deepEqual([implied.status, implied.body.auth.source], [200, 'remote'])
  })

  test('a revoked opaque token passes until the cache TTL ends, then is refused', async () => {
    const token = await issue(scopeward, { appId, scopes: ['tokens:read'] })
    assert.equal((await call(api.url, '/read', token.secret)).status, 200)
    dataOf(await scopeward.gql(REVOKE, { variables: { id: token.id, reason: 'test' } }))
    now += 4999
    const cached = await call(api.url, '/read', token.secret)
    assert.deepEqual([cached.status, cached.body.auth.source], [200, 'cache'], 'within the TTL the cached answer stands (the documented window)')
    now += 2
    const refused = await call(api.url, '/read', token.secret)
    assert.equal(refused.status, 401)
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer error="invalid_token"')
    assert.match(refused.body.error_description, /TOKEN_REVOKED/)
  })

  test('a token without the required scope is refused with 403 naming it, opaque or JWT', async () => {
    for (const kind of ['OPAQUE', 'JWT']) {
      const token = await issue(scopeward, { appId, scopes: ['tokens:read'], kind })
      const answer = await call(api.url, '/audit', token.secret)
      assert.equal(answer.status, 403, kind)
      assert.equal(answer.headers.get('www-authenticate'), 'Bearer error="insufficient_scope", scope="audit:read"')
      assert.equal(answer.body.error, 'insufficient_scope')
    }
  })

  test('no token, or not a token, is refused with 401', async () => {
    const none = await call(api.url, '/read', null)
    assert.deepEqual([none.status, none.headers.get('www-authenticate')], [401, 'Bearer'])
    for (const bad of ['garbage', 'a.b.c', `swt_${'x'.repeat(54)}`]) assert.equal((await call(api.url, '/read', bad)).status, 401, bad)
  })

  test('an audience-bound JWT passes the verifier of its audience and is refused by one expecting another', async () => {
    const bound = await issue(scopeward, { appId, scopes: ['tokens:read'], kind: 'JWT', audience: [BILLING] })
    const plain = await issue(scopeward, { appId, scopes: ['tokens:read'], kind: 'JWT' })
    const billing = await resourceServer(createVerifier({ issuer: scopeward.url, credentials: { clientId: appId, clientSecret }, audience: BILLING }))
    const elsewhere = await resourceServer(createVerifier({ issuer: scopeward.url, credentials: { clientId: appId, clientSecret }, audience: 'https://other.example/api' }))
    try {
      const accepted = await call(billing.url, '/read', bound.secret)
      assert.deepEqual([accepted.status, accepted.body.auth.source], [200, 'jwt'])
      for (const [base, token] of [
        [elsewhere.url, bound.secret],
        [api.url, bound.secret],
        [billing.url, plain.secret],
      ] as const) {
        const refused = await call(base, '/read', token)
        assert.equal(refused.status, 401)
        assert.match(refused.body.error_description, /TOKEN_UNKNOWN/)
      }
      // Sent to /v1/verify (a scope only Scopeward can resolve through implies), the audience is still checked, there.
      const writer = await issue(scopeward, { appId, scopes: ['tokens:write'], kind: 'JWT', audience: [BILLING] })
      assert.equal((await call(billing.url, '/read', writer.secret)).status, 200)
      const viaRemote = await resourceServer(
        createVerifier({ issuer: scopeward.url, credentials: { clientId: appId, clientSecret }, audience: 'https://other.example/api', jwt: 'remote' }),
      )
      try {
        const refused = await call(viaRemote.url, '/read', writer.secret)
        assert.equal(refused.status, 401)
        assert.match(refused.body.error_description, /WRONG_AUDIENCE/)
      } finally {
        await viaRemote.close()
      }
    } finally {
      await billing.close()
      await elsewhere.close()
    }
  })

  test('when Scopeward refuses the resource server or cannot be reached, requests are refused (503), never let through', async () => {
    const token = await issue(scopeward, { appId, scopes: ['tokens:read'] })
    const wrongCredentials = await resourceServer(createVerifier({ issuer: scopeward.url, credentials: { clientId: appId, clientSecret: 'sws_wrong' }, cacheTtlMs: 0 }))
    const unreachable = await resourceServer(createVerifier({ issuer: 'http://127.0.0.1:1', credentials: { token: 'x' } }))
    try {
      assert.equal((await call(wrongCredentials.url, '/read', token.secret)).status, 503)
      assert.equal((await call(unreachable.url, '/read', token.secret)).status, 503)
    } finally {
      await wrongCredentials.close()
      await unreachable.close()
    }
  })
})
