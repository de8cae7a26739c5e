// Throttles: failed authentications per client address, requests to /oauth/token per client id,
// and the bounded token-bucket map behind both.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { MemoryRateLimiter } from '../../src/auth/rate-limiter.js'
import { issue, startServer, type TestServer } from '../e2e/harness.js'

const BAD_TOKEN = `swt_${'A'.repeat(54)}`
const VIEWER = JSON.stringify({ query: '{ viewer { id } }' })

/** POST /graphql { viewer { id } } with `token`, optionally claiming `forwardedFor`. */
async function viewer(server: TestServer, token: string, forwardedFor?: string): Promise<Response> {
  return fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    body: VIEWER,
  })
}

async function withServer(env: Record<string, string>, run: (server: TestServer) => Promise<void>): Promise<void> {
  const server = await startServer({ env })
  try {
    await run(server)
  } finally {
    await server.stop()
  }
}

function assertThrottled(res: Response): void {
  assert.equal(res.status, 429)
  const wait = Number(res.headers.get('retry-after'))
  assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= 60, `Retry-After is whole seconds within a minute, got ${res.headers.get('retry-after')}`)
}

describe('failed authentications are throttled per client address (SCOPEWARD_AUTH_FAILURES_PER_MINUTE=5)', () => {
  const env = { SCOPEWARD_AUTH_FAILURES_PER_MINUTE: '5' }

  test('the 6th bad token from an address gets 429 with Retry-After, and so does a VALID token from that address afterwards (the throttle is per address, not per token)', async () => {
    await withServer(env, async (server) => {
      const { secret } = await issue(server, { scopes: ['tokens:read'] })
      for (let i = 1; i <= 5; i++) assert.equal((await viewer(server, BAD_TOKEN)).status, 401, `bad token #${i} is refused 401`)
      assertThrottled(await viewer(server, BAD_TOKEN))
      assertThrottled(await viewer(server, secret))
      assertThrottled(await viewer(server, server.rootToken))
    })
  })

  test('a throttled address may try again once the bucket refills (one attempt per 12 s at 5/min)', async () => {
    await withServer(env, async (server) => {
      for (let i = 0; i < 5; i++) await viewer(server, BAD_TOKEN)
      assertThrottled(await viewer(server, server.rootToken))
      server.advance(12_000)
      assert.equal((await viewer(server, server.rootToken)).status, 200)
    })
  })

  test('successful authentications spend nothing', async () => {
    await withServer(env, async (server) => {
      for (let i = 0; i < 20; i++) assert.equal((await viewer(server, server.rootToken)).status, 200)
      assert.equal((await viewer(server, BAD_TOKEN)).status, 401)
    })
  })

  test('behind a trusted proxy, another client address (X-Forwarded-For) is not affected', async () => {
    await withServer({ ...env, SCOPEWARD_TRUSTED_PROXIES: '127.0.0.1' }, async (server) => {
      for (let i = 0; i < 5; i++) assert.equal((await viewer(server, BAD_TOKEN, '203.0.113.7')).status, 401)
      assertThrottled(await viewer(server, server.rootToken, '203.0.113.7'))
      assert.equal((await viewer(server, server.rootToken, '203.0.113.8')).status, 200)
      assert.equal((await viewer(server, BAD_TOKEN, '203.0.113.8')).status, 401)
      // A client cannot prepend its way out: the right-most untrusted hop is the address.
      assertThrottled(await viewer(server, server.rootToken, '198.51.100.1, 203.0.113.7'))
    })
  })

  test('without trusted proxies X-Forwarded-For is ignored: spoofing a new address does not escape the throttle', async () => {
    await withServer(env, async (server) => {
      for (let i = 0; i < 5; i++) assert.equal((await viewer(server, BAD_TOKEN, `203.0.113.${i}`)).status, 401)
      assertThrottled(await viewer(server, BAD_TOKEN, '198.51.100.99'))
      assertThrottled(await viewer(server, server.rootToken, '198.51.100.100'))
    })
  })

  test('a malformed Authorization header counts as a failure too', async () => {
    await withServer(env, async (server) => {
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer not a token' }, body: VIEWER })
        assert.equal(res.status, 401)
      }
      assertThrottled(await viewer(server, server.rootToken))
    })
  })

  test('the throttle covers /oauth/* but not /healthz', async () => {
    await withServer(env, async (server) => {
      for (let i = 0; i < 5; i++) await viewer(server, BAD_TOKEN)
      const introspect = await fetch(`${server.url}/oauth/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${server.rootToken}` },
        body: 'token=x',
      })
      assertThrottled(introspect)
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200)
    })
  })
})

describe('the token endpoint is throttled per client id (SCOPEWARD_TOKEN_REQUESTS_PER_MINUTE=3)', () => {
  test('the 4th POST /oauth/token for the same client_id gets 429 with Retry-After; another client id is not affected', async () => {
    await withServer({ SCOPEWARD_TOKEN_REQUESTS_PER_MINUTE: '3' }, async (server) => {
      const client = async (name: string) => {
        const created = await server.gql('mutation($input: CreateAppInput!) { createApp(input: $input) { id } }', {
          variables: { input: { name, allowedScopes: ['tokens:read'] } },
        })
        const appId = created.body.data.createApp.id as string
        const secret = await server.gql('mutation($appId: ID!) { createClientSecret(appId: $appId) { secret } }', { variables: { appId } })
        return { appId, secret: secret.body.data.createClientSecret.secret as string }
      }
      const a = await client('throttled')
      const b = await client('other')
      const grant = (c: { appId: string; secret: string }) =>
        fetch(`${server.url}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'tokens:read', client_id: c.appId, client_secret: c.secret }).toString(),
        })
      for (let i = 1; i <= 3; i++) assert.equal((await grant(a)).status, 200, `request #${i}`)
      const fourth = await grant(a)
      assertThrottled(fourth)
      assert.equal(((await fourth.json()) as { error: string }).error, 'rate_limited')
      assert.equal((await grant(b)).status, 200)
      server.advance(20_000)
      assert.equal((await grant(a)).status, 200, 'one request refilled after 20 s at 3/min')
    })
  })
})

describe('11.13 /oauth/token throttles: one parse of the credentials, every failed credential counted', () => {
  const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
  const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token'
  const token = (server: TestServer, body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body).toString() })
  const client = async (server: TestServer) => {
    const created = await server.gql('mutation($input: CreateAppInput!) { createApp(input: $input) { id } }', {
      variables: { input: { name: 'c', allowedScopes: ['tokens:read'] } },
    })
    const appId = created.body.data.createApp.id as string
    const secret = await server.gql('mutation($appId: ID!) { createClientSecret(appId: $appId) { secret } }', { variables: { appId } })
    return { appId, secret: secret.body.data.createClientSecret.secret as string }
  }
  const tokenRows = (server: TestServer) => server.app.store.countTokens({ now: Date.now() })

  test('11.13 the per-client limit keys on the client id as authentication decodes it: re-encoding one letter per request is not a new client', async () => {
    await withServer({ SCOPEWARD_TOKEN_REQUESTS_PER_MINUTE: '3' }, async (server) => {
      const c = await client(server)
      // RFC 6749 §2.3.1: the Basic username is form-urlencoded, so %61 and "a" are the same client id.
      const encodeAt = (i: number) => c.appId.slice(0, i) + `%${c.appId.charCodeAt(i).toString(16).toUpperCase()}` + c.appId.slice(i + 1)
      const basic = (username: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${username}:${secret}`).toString('base64')}` })
      const grant = { grant_type: 'client_credentials', scope: 'tokens:read' }
      for (let i = 0; i < 3; i++) assert.equal((await token(server, grant, basic(encodeAt(i), c.secret))).status, 200, `request #${i + 1}`)
      const rows = await tokenRows(server)
      assertThrottled(await token(server, grant, basic(encodeAt(3), c.secret)))
      assertThrottled(await token(server, grant, basic(encodeAt(4), 'wrong')))
      assertThrottled(await token(server, { ...grant, client_id: c.appId, client_secret: c.secret }))
      assert.equal(await tokenRows(server), rows, 'a throttled request issued a token')
    })
  })

  test('11.13 an invalid actor_token counts as a failed authentication (no free validity oracle)', async () => {
    await withServer({ SCOPEWARD_AUTH_FAILURES_PER_MINUTE: '5' }, async (server) => {
      const subject = await issue(server, { scopes: ['tokens:read'] })
      const exchange = { grant_type: TOKEN_EXCHANGE, subject_token: subject.secret, subject_token_type: ACCESS_TOKEN, actor_token_type: ACCESS_TOKEN }
      const rows = await tokenRows(server)
      const audits = await server.app.store.countAuditEvents({})
      for (let i = 0; i < 5; i++) {
        const res = await token(server, { ...exchange, actor_token: `${BAD_TOKEN.slice(0, -1)}${i}` })
        assert.equal(res.status, 400)
        assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant')
      }
      assertThrottled(await token(server, { ...exchange, actor_token: server.rootToken }))
      assertThrottled(await viewer(server, server.rootToken))
      assert.equal(await tokenRows(server), rows)
      assert.equal(await server.app.store.countAuditEvents({}), audits)
    })
  })

  test("11.13 token exchange without client authentication spends from the subject app's per-client bucket", async () => {
    await withServer({ SCOPEWARD_TOKEN_REQUESTS_PER_MINUTE: '3' }, async (server) => {
      const c = await client(server)
      const subject = await issue(server, { appId: c.appId, scopes: ['tokens:read'] })
      const exchange = { grant_type: TOKEN_EXCHANGE, subject_token: subject.secret, subject_token_type: ACCESS_TOKEN }
      for (let i = 0; i < 3; i++) assert.equal((await token(server, exchange)).status, 200, `exchange #${i + 1}`)
      const rows = await tokenRows(server)
      assertThrottled(await token(server, exchange))
      // The same bucket as the app's client credentials: switching method does not double the rate.
      assertThrottled(await token(server, { grant_type: 'client_credentials', scope: 'tokens:read', client_id: c.appId, client_secret: c.secret }))
      assert.equal(await tokenRows(server), rows, 'a throttled exchange issued a token')
    })
  })
})

describe('MemoryRateLimiter', () => {
  test('keeps at most maxKeys buckets whatever the number of keys (100,000 keys, maxKeys 1000)', () => {
    const limiter = new MemoryRateLimiter({ capacity: 5, perMinute: 5, maxKeys: 1000 }, () => 0)
    for (let i = 0; i < 100_000; i++) {
      limiter.take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)
      assert.ok(limiter.size <= 1000)
    }
    assert.equal(limiter.size, 1000)
  })

  test('drops the least recently used key first, not a key still in use', () => {
    const limiter = new MemoryRateLimiter({ capacity: 1, perMinute: 1, maxKeys: 2 }, () => 0)
    assert.equal(limiter.take('attacker-target'), true)
    limiter.take('a')
    limiter.retryAfter('attacker-target') // touched: now most recent
    limiter.take('b') // evicts 'a'
    assert.equal(limiter.take('attacker-target'), false, 'its spent bucket survived')
  })

  test('refills at perMinute with an injected clock, never above capacity', () => {
    let now = 1_000_000
    const limiter = new MemoryRateLimiter({ capacity: 3, perMinute: 6, maxKeys: 10 }, () => now)
    for (let i = 0; i < 3; i++) assert.equal(limiter.take('k'), true)
    assert.equal(limiter.take('k'), false)
    assert.equal(limiter.retryAfter('k'), 10)
    now += 9_999
    assert.equal(limiter.take('k'), false)
    now += 1
    assert.equal(limiter.retryAfter('k'), 0)
    assert.equal(limiter.take('k'), true)
    now += 3_600_000
    for (let i = 0; i < 3; i++) assert.equal(limiter.take('k'), true)
    assert.equal(limiter.take('k'), false, 'an hour idle refills to capacity, not beyond')
  })

  test('a clock stepping backwards neither refills nor drains, and refill resumes from the new time', () => {
    let now = 10_000_000
    const limiter = new MemoryRateLimiter({ capacity: 2, perMinute: 2, maxKeys: 10 }, () => now)
    assert.equal(limiter.take('k'), true)
    assert.equal(limiter.take('k'), true)
    now -= 3_600_000
    assert.equal(limiter.take('k'), false, 'no refill from a backwards step')
    assert.equal(limiter.retryAfter('k'), 30)
    now += 30_000
    assert.equal(limiter.take('k'), true, 'refills 30 s after the stepped-back time')
    const fresh = new MemoryRateLimiter({ capacity: 2, perMinute: 2, maxKeys: 10 }, () => now)
    assert.equal(fresh.take('j'), true)
    now -= 1_000_000
    assert.equal(fresh.take('j'), true, 'a backwards step does not drain what is left')
    assert.equal(fresh.take('j'), false)
  })
})
