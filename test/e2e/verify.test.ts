// POST /v1/verify as a resource server meets it: who may call it, what each token answers, the
// app boundary, and malformed bodies refused naming the field. Every answer changes nothing.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { localRequest } from '../../src/auth/request.js'
import { verifyToken, type Inspector } from '../../src/domain/verify-token.js'
import type { RequestPolicy } from '../../src/auth/policy.js'
import { RateLimited } from '../../src/errors.js'
import { checksum } from '../../src/tokens/opaque-token.js'
import { auditCount, createApp, dataOf, issue, REVOKE, startServer, type TestServer } from './harness.js'

const SECRET = 'mutation($appId: ID!, $scopes: [String!]) { createClientSecret(appId: $appId, scopes: $scopes) { secret } }'

function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`
}

describe('POST /v1/verify', () => {
  let server: TestServer
  let appA: { id: string }
  let appB: { id: string }
  /** App A's client secret, holding tokens:introspect. */
  let clientA: string
  let tokenA: { secret: string; id: string }
  let tokenB: { secret: string; id: string }

  const verify = async (body: unknown, authorization: string | null = `Bearer ${server.rootToken}`, contentType = 'application/json') => {
    const res = await server.request('/v1/verify', {
      method: 'POST',
      headers: { 'content-type': contentType, ...(authorization ? { authorization } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, headers: res.headers, text, body: JSON.parse(text) }
  }
  const codeOf = async (token: string, authorization?: string) => (await verify({ token }, authorization)).body.code as string

  before(async () => {
    server = await startServer()
    appA = await createApp(server, { name: 'a', allowedScopes: ['tokens:read', 'tokens:write', 'tokens:introspect'] })
    appB = await createApp(server, { name: 'b', allowedScopes: ['tokens:read', 'audit:read'] })
    clientA = basic(appA.id, dataOf(await server.gql(SECRET, { variables: { appId: appA.id, scopes: ['tokens:introspect'] } })).createClientSecret.secret)
    tokenA = await issue(server, { appId: appA.id, scopes: ['tokens:read'], subject: 'alice' })
    tokenB = await issue(server, { appId: appB.id, scopes: ['tokens:read', 'audit:read'] })
  })
  after(() => server.stop())

  test('a valid opaque token answers valid with its id, app, subject and scopes, and writes nothing', async () => {
    const before = await auditCount(server)
    const answer = await verify({ token: tokenA.secret })
    assert.equal(answer.status, 200)
    assert.deepEqual(answer.body, {
      valid: true,
      code: 'VALID',
      tokenId: tokenA.id,
      appId: appA.id,
      subject: 'alice',
      scopes: ['tokens:read'],
      missingScopes: [],
      ratelimit: null,
      credits: null,
    })
    assert.equal(answer.headers.get('cache-control'), 'no-store')
    assert.equal(await auditCount(server), before)
  })

  test('requiredScopes: one held alternative suffices; otherwise INSUFFICIENT_SCOPE with the smallest missing set', async () => {
    const any = await verify({ token: tokenB.secret, requiredScopes: [['tokens:write'], ['tokens:read', 'audit:read']] })
    assert.deepEqual([any.body.valid, any.body.code, any.body.missingScopes], [true, 'VALID', []])
    const lacking = await verify({
      token: tokenB.secret,
      requiredScopes: [
        ['tokens:write', 'apps:read', 'keys:read'],
        ['tokens:read', 'apps:write'],
      ],
    })
    assert.equal(lacking.status, 200)
    assert.deepEqual([lacking.body.valid, lacking.body.code, lacking.body.missingScopes, lacking.body.tokenId], [false, 'INSUFFICIENT_SCOPE', ['apps:write'], tokenB.id])
    // implies counts: tokens:write holds tokens:read.
    const writer = await issue(server, { appId: appA.id, scopes: ['tokens:write'] })
    assert.equal((await verify({ token: writer.secret, requiredScopes: [['tokens:read']] })).body.code, 'VALID')
  })

  test('a JWT is verified like an opaque token', async () => {
    const jwt = await issue(server, { appId: appB.id, scopes: ['audit:read'], kind: 'JWT' })
    const answer = await verify({ token: jwt.secret, requiredScopes: [['audit:read']] })
    assert.deepEqual([answer.body.valid, answer.body.tokenId, answer.body.scopes], [true, jwt.id, ['audit:read']])
    await server.gql(REVOKE, { variables: { id: jwt.id } })
    assert.equal(await codeOf(jwt.secret), 'TOKEN_REVOKED')
  })

  test('each refused token answers 200, valid false and its stable code, naming nothing', async () => {
    const revoked = await issue(server, { appId: appB.id, scopes: ['tokens:read'] })
    dataOf(await server.gql(REVOKE, { variables: { id: revoked.id, reason: 'test' } }))
    const expiring = await issue(server, { appId: appB.id, scopes: ['tokens:read'], expiresIn: 'PT1M' })
    const body = `swt_${'A'.repeat(16)}${'b'.repeat(32)}`
    const madeUp = body + checksum(body)
    const wrongSecret = `swt_${tokenB.id}${'c'.repeat(32)}`
    const cases: [string, string][] = [
      [revoked.secret, 'TOKEN_REVOKED'],
      [madeUp, 'TOKEN_UNKNOWN'],
      [wrongSecret + checksum(wrongSecret), 'TOKEN_UNKNOWN'],
      [tokenB.secret.slice(0, -1) + (tokenB.secret.endsWith('a') ? 'b' : 'a'), 'TOKEN_MALFORMED'],
      ['not a token', 'TOKEN_MALFORMED'],
      ['eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'TOKEN_MALFORMED'],
      // A JWT signed by a key Scopeward does not hold.
      [`${Buffer.from('{"alg":"EdDSA","typ":"at+jwt","kid":"nope"}').toString('base64url')}.eyJzdWIiOiJ4In0.c2lnbmF0dXJl`, 'TOKEN_UNKNOWN'],
    ]
    for (const [token, code] of cases) {
      const answer = await verify({ token })
      assert.equal(answer.status, 200, token)
      assert.deepEqual(answer.body, { valid: false, code, tokenId: null, appId: null, subject: null, scopes: [], missingScopes: [], ratelimit: null, credits: null }, token)
      assert.ok(!answer.text.includes(token), 'the token is never echoed')
    }
    server.advance(2 * 60_000)
    try {
      assert.equal(await codeOf(expiring.secret), 'TOKEN_EXPIRED')
    } finally {
      server.advance(-2 * 60_000)
    }
    const disabled = await createApp(server, { name: 'gone', allowedScopes: ['tokens:read'] })
    const ofDisabled = await issue(server, { appId: disabled.id, scopes: ['tokens:read'] })
    dataOf(await server.gql('mutation($id: ID!) { disableApp(id: $id) { id } }', { variables: { id: disabled.id } }))
    assert.equal(await codeOf(ofDisabled.secret), 'APP_DISABLED')
  })

  test("an app's client secret verifies only its own app's tokens: any other token is TOKEN_UNKNOWN whatever its state", async () => {
    assert.equal(await codeOf(tokenA.secret, clientA), 'VALID')
    assert.equal(await codeOf(tokenB.secret, clientA), 'TOKEN_UNKNOWN')
    assert.equal(await codeOf(server.rootToken, clientA), 'TOKEN_UNKNOWN')
    const revokedB = await issue(server, { appId: appB.id, scopes: ['tokens:read'] })
    dataOf(await server.gql(REVOKE, { variables: { id: revokedB.id } }))
    assert.equal(await codeOf(revokedB.secret), 'TOKEN_REVOKED', 'root sees it revoked')
    assert.equal(await codeOf(revokedB.secret, clientA), 'TOKEN_UNKNOWN', 'app A learns nothing of it')
    const revokedA = await issue(server, { appId: appA.id, scopes: ['tokens:read'] })
    dataOf(await server.gql(REVOKE, { variables: { id: revokedA.id } }))
    assert.equal(await codeOf(revokedA.secret, clientA), 'TOKEN_REVOKED')
  })

  test('a bearer token with tokens:introspect verifies within its own boundary (its app, its subject)', async () => {
    const introspector = await issue(server, { appId: appA.id, scopes: ['tokens:introspect'], subject: 'alice' })
    const other = await issue(server, { appId: appA.id, scopes: ['tokens:read'], subject: 'bob' })
    assert.equal(await codeOf(tokenA.secret, `Bearer ${introspector.secret}`), 'VALID')
    assert.equal(await codeOf(other.secret, `Bearer ${introspector.secret}`), 'TOKEN_UNKNOWN')
    assert.equal(await codeOf(tokenB.secret, `Bearer ${introspector.secret}`), 'TOKEN_UNKNOWN')
  })

  test('a bad caller is refused: none or a bad credential 401, one without tokens:introspect 403', async () => {
    const before = await auditCount(server)
    const none = await verify({ token: tokenA.secret }, null)
    assert.deepEqual([none.status, none.body.error], [401, 'invalid_client'])
    const badBearer = await verify({ token: tokenA.secret }, 'Bearer nope')
    assert.deepEqual([badBearer.status, badBearer.body.error], [401, 'invalid_client'])
    const badSecret = await verify({ token: tokenA.secret }, basic(appA.id, 'sws_wrong'))
    assert.deepEqual([badSecret.status, badSecret.body.error], [401, 'invalid_client'])
    const weak = await verify({ token: tokenA.secret }, `Bearer ${tokenA.secret}`)
    assert.deepEqual([weak.status, weak.body.error], [403, 'insufficient_scope'])
    assert.match(weak.headers.get('www-authenticate') ?? '', /insufficient_scope/)
    const weakClient = basic(appB.id, dataOf(await server.gql(SECRET, { variables: { appId: appB.id, scopes: ['tokens:read'] } })).createClientSecret.secret)
    assert.equal((await verify({ token: tokenB.secret }, weakClient)).status, 403)
    for (const answer of [none, badBearer, badSecret, weak]) assert.ok(!answer.text.includes(tokenA.secret))
    assert.equal(await auditCount(server), before + 1, 'only the client secret created above was written')
  })

  test('a malformed body is a 400 naming the field', async () => {
    const cases: [unknown, string, string | undefined][] = [
      ['{"token":', 'application/json', undefined],
      [{ token: 'x' }, 'text/plain', undefined],
      [['x'], 'application/json', undefined],
      [{}, 'application/json', 'token'],
      [{ token: 42 }, 'application/json', 'token'],
      [{ token: '' }, 'application/json', 'token'],
      [{ token: 'x'.repeat(5000) }, 'application/json', 'token'],
      [{ token: 'x', requiredScopes: 'tokens:read' }, 'application/json', 'requiredScopes'],
      [{ token: 'x', requiredScopes: ['tokens:read'] }, 'application/json', 'requiredScopes'],
      [{ token: 'x', requiredScopes: [[]] }, 'application/json', 'requiredScopes'],
      [{ token: 'x', requiredScopes: [['Tokens:Read']] }, 'application/json', 'requiredScopes'],
      [{ token: 'x', requiredScopes: Array.from({ length: 21 }, () => ['a']) }, 'application/json', 'requiredScopes'],
      [{ token: 'x', clientAddress: '10.0.0.300' }, 'application/json', 'clientAddress'],
      [{ token: 'x', clientAddress: 7 }, 'application/json', 'clientAddress'],
      [{ token: 'x', scopes: [] }, 'application/json', 'scopes'],
    ]
    for (const [body, type, field] of cases) {
      const answer = await verify(body, `Bearer ${server.rootToken}`, type)
      assert.equal(answer.status, 400, JSON.stringify(body).slice(0, 80))
      assert.equal(answer.body.error, 'invalid_request')
      assert.equal(answer.body.field, field, answer.body.error_description)
      if (field) assert.match(answer.body.error_description, new RegExp(`^${field}`))
    }
  })

  test('the token meets every request policy as a bearer use from clientAddress; a policy refusal is told only within the boundary', async () => {
    const seen: { ip: string | null; use: string }[] = []
    let refuse: 'ip_not_allowed' | 'rate' | null = null
    const probe: RequestPolicy = {
      name: 'probe',
      check(_subject, request, use) {
        seen.push({ ip: request.ip, use })
        if (refuse === 'rate') throw new RateLimited(7, 'too many requests for this token')
        return refuse as never
      },
    }
    const domain = { ...server.app.domain, requestPolicies: [probe] }
    const root: Inspector = { kind: 'client', app: (await server.app.store.getApp('root'))! }
    const ofA: Inspector = { kind: 'client', app: (await server.app.store.getApp(appA.id))! }
    const request = { ...localRequest('/v1/verify'), ip: '203.0.113.9' }
    assert.equal((await verifyToken(domain, root, tokenB.secret, { requiredScopes: null, request, ownAudience: 'x' })).code, 'VALID')
    assert.deepEqual(seen, [{ ip: '203.0.113.9', use: 'bearer' }])
    refuse = 'ip_not_allowed'
    assert.equal((await verifyToken(domain, root, tokenB.secret, { requiredScopes: null, request, ownAudience: 'x' })).code, 'IP_NOT_ALLOWED')
    assert.equal((await verifyToken(domain, ofA, tokenB.secret, { requiredScopes: null, request, ownAudience: 'x' })).code, 'TOKEN_UNKNOWN')
    refuse = 'rate'
    const limited = await verifyToken(domain, root, tokenB.secret, { requiredScopes: null, request, ownAudience: 'x' })
    assert.deepEqual([limited.valid, limited.code, limited.retryAfter], [false, 'RATE_LIMITED', 7])
  })

  test('clientAddress reaches the chain over HTTP too (an IPv6 address is accepted)', async () => {
    const answer = await verify({ token: tokenA.secret, clientAddress: '2001:DB8::1' })
    assert.equal(answer.body.code, 'VALID')
  })
  test("a constrained token's rate limit and credits are applied, spent and reported by each verification", async () => {
    const { secret, id } = await issue(server, { scopes: ['tokens:read'], constraints: { rateLimit: { limit: 2, window: '1m' }, credits: { remaining: 3 } } })
    const first = await verify({ token: secret })
    assert.equal(first.status, 200)
    assert.equal(first.body.code, 'VALID')
    assert.equal(first.body.tokenId, id)
    assert.deepEqual(first.body.credits, { remaining: 2 })
    assert.equal(first.body.ratelimit.limit, 2)
    assert.equal(first.body.ratelimit.remaining, 1)
    assert.ok(first.body.ratelimit.reset > 0 && first.body.ratelimit.reset <= 60)
    const second = await verify({ token: secret })
    assert.deepEqual([second.body.code, second.body.credits, second.body.ratelimit.remaining], ['VALID', { remaining: 1 }, 0])
    // Over the rate limit: not valid now, with when it will be; the refused verification spends no credit.
    const third = await verify({ token: secret })
    assert.equal(third.status, 200)
    assert.equal(third.body.valid, false)
    assert.equal(third.body.code, 'RATE_LIMITED')
    assert.ok(third.body.retryAfter >= 1 && third.body.retryAfter <= 60)
    assert.equal(third.body.ratelimit.remaining, 0)
    const constraints = dataOf(await server.gql('query($id: ID!) { token(id: $id) { constraints { credits { remaining } } } }', { variables: { id } })).token.constraints
    assert.deepEqual(constraints.credits, { remaining: 1 })
  })

  test('a token whose credits are spent verifies as USAGE_EXCEEDED', async () => {
    const { secret } = await issue(server, { scopes: ['tokens:read'], constraints: { credits: { remaining: 1 } } })
    assert.equal((await verify({ token: secret })).body.code, 'VALID')
    const spent = await verify({ token: secret })
    assert.equal(spent.status, 200)
    assert.deepEqual([spent.body.valid, spent.body.code, spent.body.credits], [false, 'USAGE_EXCEEDED', { remaining: 0 }])
  })
})
