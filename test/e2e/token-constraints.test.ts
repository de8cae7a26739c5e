// Per-token constraints (issue 15), black-box: IP allowlists by client address (directly and
// through a trusted proxy), rate limits with their headers and the 429 at the exact count, credits
// spent exactly under concurrency, narrowing on derive, update and app maxima (each refusal names
// what widened and changes nothing), and what introspection and Token.constraints report.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { auditCount, createApp, dataOf, DERIVE, errorCodes, issue, ROTATE, startServer, tokenCount, type TestServer } from './harness.js'

const VIEWER = '{ viewer { id } }'
const CONSTRAINTS = `query($id: ID!) { token(id: $id) { constraints { allowedCidrs rateLimit { limit window remaining reset } credits { remaining refill { amount interval } nextRefillAt } } } }`
const UPDATE = `mutation($id: ID!, $c: TokenConstraintsInput!) { updateTokenConstraints(id: $id, constraints: $c) { id constraints { allowedCidrs rateLimit { limit window } credits { remaining } } } }`
const ALL = ['tokens:read', 'tokens:write', 'apps:read', 'apps:write', 'tokens:introspect']

describe('token constraints', () => {
  let server: TestServer
  before(async () => {
    server = await startServer()
  })
  after(async () => {
    await server.stop()
  })

  describe('IP allowlist', () => {
    test('refuses a token from outside its allowlist with 401 invalid_token "not valid from this address", audited and counted', async () => {
      const { secret, id } = await issue(server, { scopes: ['tokens:read'], constraints: { allowedCidrs: ['10.0.0.0/8', '2001:db8::/32'] } })
      const res = await server.gql(VIEWER, { token: secret })
      assert.equal(res.status, 401)
      assert.deepEqual(errorCodes(res), ['UNAUTHENTICATED'])
      assert.match(res.body.errors?.[0]?.message ?? '', /not valid from this address/)
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token".*not valid from this address/)
      const events = await server.app.store.listAuditEvents({ action: 'token.address_refused', target: id, limit: 10 })
      assert.equal(events.rows.length, 1)
      assert.equal(events.rows[0]?.ip, '127.0.0.1')
      const failures = dataOf(await server.gql('{ authenticationFailures { reason count } }')).authenticationFailures as { reason: string; count: number }[]
      assert.ok(failures.some((f) => f.reason === 'address_not_allowed' && f.count >= 1))
      assert.ok(server.logs.some((l) => l.includes('"reason":"address_not_allowed"')))
    })

    test('accepts a token from inside its allowlist (an address or a range)', async () => {
      for (const cidrs of [['127.0.0.1'], ['10.0.0.0/8', '127.0.0.0/8']]) {
        const { secret } = await issue(server, { scopes: ['tokens:read'], constraints: { allowedCidrs: cidrs } })
        assert.equal((await server.gql(VIEWER, { token: secret })).status, 200, cidrs.join(','))
      }
    })

    test('an X-Forwarded-For from an untrusted peer is ignored', async () => {
      const { secret } = await issue(server, { scopes: ['tokens:read'], constraints: { allowedCidrs: ['10.0.0.0/8'] } })
      assert.equal((await server.gql(VIEWER, { token: secret, headers: { 'x-forwarded-for': '10.1.2.3' } })).status, 401)
    })

    test('refuses malformed ranges at issuance, naming the entry, and writes nothing', async () => {
      const before = await tokenCount(server)
      for (const bad of ['10.0.0.0/33', 'not-an-ip', '::1/129', '10.0.0.0/8/1']) {
        const res = await server.gql(`mutation($i: IssueTokenInput!) { issueToken(input: $i) { secret } }`, {
          variables: { i: { name: 'x', scopes: ['tokens:read'], constraints: { allowedCidrs: [bad] } } },
        })
        assert.deepEqual(errorCodes(res), ['BAD_USER_INPUT'], bad)
        assert.match(res.body.errors?.[0]?.message ?? '', /allowedCidrs/)
      }
      assert.equal(await tokenCount(server), before)
    })
  })

  describe('rate limit', () => {
    test('sends RateLimit headers within the limit and 429 RATE_LIMITED with Retry-After at exactly limit + 1', async () => {
      const { secret } = await issue(server, { scopes: ['tokens:read'], constraints: { rateLimit: { limit: 3, window: '1m' } } })
      for (let i = 1; i <= 3; i++) {
        const res = await server.gql(VIEWER, { token: secret })
        assert.equal(res.status, 200, `request ${i}`)
        assert.equal(res.headers.get('ratelimit-limit'), '3')
        assert.equal(res.headers.get('ratelimit-remaining'), String(3 - i))
        const reset = Number(res.headers.get('ratelimit-reset'))
        assert.ok(reset >= 1 && reset <= 60, `reset ${reset}`)
      }
      const refused = await server.gql(VIEWER, { token: secret })
      assert.equal(refused.status, 429)
      assert.deepEqual(errorCodes(refused), ['RATE_LIMITED'])
      const retry = Number(refused.headers.get('retry-after'))
      assert.ok(retry >= 1 && retry <= 60, `retry-after ${retry}`)
      assert.equal(refused.headers.get('ratelimit-limit'), '3')
      assert.equal(refused.headers.get('ratelimit-remaining'), '0')
    })

    test('a token without constraints gets no RateLimit headers', async () => {
      const { secret } = await issue(server, { scopes: ['tokens:read'] })
      const res = await server.gql(VIEWER, { token: secret })
      assert.equal(res.status, 200)
      assert.equal(res.headers.get('ratelimit-limit'), null)
    })

    test('refuses a window that is not whole seconds or a limit below 1', async () => {
      for (const rateLimit of [
        { limit: 0, window: '1m' },
        { limit: 5, window: 'PT0.5S' },
        { limit: 5, window: 'soon' },
      ]) {
        const res = await server.gql(`mutation($i: IssueTokenInput!) { issueToken(input: $i) { secret } }`, {
          variables: { i: { name: 'x', scopes: ['tokens:read'], constraints: { rateLimit } } },
        })
        assert.deepEqual(errorCodes(res), ['BAD_USER_INPUT'], JSON.stringify(rateLimit))
      }
    })
  })

  describe('credits', () => {
    test('each request spends one; at zero 429 USAGE_EXCEEDED, without Retry-After when no refill is due', async () => {
      const { secret, id } = await issue(server, { scopes: ['tokens:read'], constraints: { credits: { remaining: 2 } } })
      assert.equal((await server.gql(VIEWER, { token: secret })).status, 200)
      assert.equal((await server.gql(VIEWER, { token: secret })).status, 200)
      const refused = await server.gql(VIEWER, { token: secret })
      assert.equal(refused.status, 429)
      assert.deepEqual(errorCodes(refused), ['USAGE_EXCEEDED'])
      assert.equal(refused.headers.get('retry-after'), null)
      const c = dataOf(await server.gql(CONSTRAINTS, { variables: { id } })).token.constraints
      assert.equal(c.credits.remaining, 0)
    })

    test('a refill tops the balance up once its interval has passed, and Retry-After says when', async () => {
      const { secret, id } = await issue(server, { scopes: ['tokens:read'], constraints: { credits: { remaining: 1, refill: { amount: 2, interval: '1h' } } } })
      assert.equal((await server.gql(VIEWER, { token: secret })).status, 200)
      const refused = await server.gql(VIEWER, { token: secret })
      assert.deepEqual(errorCodes(refused), ['USAGE_EXCEEDED'])
      const retry = Number(refused.headers.get('retry-after'))
      assert.ok(retry > 3500 && retry <= 3600, `retry-after ${retry}`)
      server.advance(3_600_000)
      try {
        const c = dataOf(await server.gql(CONSTRAINTS, { variables: { id } })).token.constraints
        assert.equal(c.credits.remaining, 2)
        assert.equal((await server.gql(VIEWER, { token: secret })).status, 200)
        assert.equal((await server.gql(VIEWER, { token: secret })).status, 200)
        assert.deepEqual(errorCodes(await server.gql(VIEWER, { token: secret })), ['USAGE_EXCEEDED'])
      } finally {
        server.advance(-3_600_000)
      }
    })

    test('50 concurrent requests against 20 credits succeed exactly 20 times', async () => {
      const { secret, id } = await issue(server, { scopes: ['tokens:read'], constraints: { credits: { remaining: 20 } } })
      const statuses = await Promise.all(Array.from({ length: 50 }, () => server.gql(VIEWER, { token: secret }).then((r) => r.status)))
      assert.equal(statuses.filter((s) => s === 200).length, 20)
      assert.equal(statuses.filter((s) => s === 429).length, 30)
      assert.equal(dataOf(await server.gql(CONSTRAINTS, { variables: { id } })).token.constraints.credits.remaining, 0)
    })

    test('a refused request (outside the allowlist) spends no credit', async () => {
      const { secret, id } = await issue(server, { scopes: ['tokens:read'], constraints: { credits: { remaining: 5 }, allowedCidrs: ['10.0.0.0/8'] } })
      assert.equal((await server.gql(VIEWER, { token: secret })).status, 401)
      assert.equal(dataOf(await server.gql(CONSTRAINTS, { variables: { id } })).token.constraints.credits.remaining, 5)
    })
  })

  describe('introspection and Token.constraints', () => {
    test('introspection reports allowed_cidrs, rate_limit and credits without spending them', async () => {
      const { secret, id } = await issue(server, {
        scopes: ['tokens:read'],
        constraints: { allowedCidrs: ['127.0.0.0/8'], rateLimit: { limit: 10, window: '1m' }, credits: { remaining: 7 } },
      })
      assert.equal((await server.gql(VIEWER, { token: secret })).status, 200)
      const introspect = async () => {
        const res = await fetch(`${server.url}/oauth/introspect`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${server.rootToken}` },
          body: new URLSearchParams({ token: secret }).toString(),
        })
        return (await res.json()) as Record<string, any>
      }
      const first = await introspect()
      assert.equal(first.active, true)
      assert.deepEqual(first.allowed_cidrs, ['127.0.0.0/8'])
      assert.equal(first.rate_limit.limit, 10)
      assert.equal(first.rate_limit.remaining, 9)
      assert.deepEqual(first.credits, { remaining: 6 })
      const second = await introspect()
      assert.equal(second.rate_limit.remaining, 9)
      assert.deepEqual(second.credits, { remaining: 6 })
      const c = dataOf(await server.gql(CONSTRAINTS, { variables: { id } })).token.constraints
      assert.deepEqual(c.allowedCidrs, ['127.0.0.0/8'])
      assert.equal(c.rateLimit.limit, 10)
      assert.equal(c.rateLimit.window, 'PT1M')
      assert.equal(c.rateLimit.remaining, 9)
      assert.equal(c.credits.remaining, 6)
    })

    test('on an OAuth route a spent token is answered 429 in RFC 6749 shape, with its own code', async () => {
      const { secret } = await issue(server, { scopes: ['tokens:introspect'], constraints: { credits: { remaining: 1 }, rateLimit: { limit: 5, window: '1m' } } })
      const introspect = () =>
        fetch(`${server.url}/oauth/introspect`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${secret}` },
          body: new URLSearchParams({ token: server.rootToken }).toString(),
        })
      const first = await introspect()
      assert.equal(first.status, 200)
      assert.equal(first.headers.get('ratelimit-remaining'), '4')
      const spent = await introspect()
      assert.equal(spent.status, 429)
      assert.deepEqual(Object.keys((await spent.json()) as object).sort(), ['error', 'error_description'])
      assert.equal(((await (await introspect()).json()) as { error: string }).error, 'USAGE_EXCEEDED')
    })

    test('an unconstrained token reports none', async () => {
      const { id } = await issue(server, { scopes: ['tokens:read'] })
      assert.equal(dataOf(await server.gql(CONSTRAINTS, { variables: { id } })).token.constraints, null)
    })
  })

  describe('rotation', () => {
    const rotate = async (id: string, grace: string | null) =>
      dataOf(await server.gql(ROTATE, { variables: { id, grace } })).rotateToken as { secret: string; token: { id: string } }
    const remaining = async (id: string) => dataOf(await server.gql(CONSTRAINTS, { variables: { id } })).token.constraints.credits.remaining as number

    test('during a grace period both secrets spend one balance: 40 concurrent requests through both against the 15 left succeed exactly 15 times', async () => {
      const old = await issue(server, { scopes: ['tokens:read'], constraints: { credits: { remaining: 18, refill: { amount: 18, interval: '1d' } } } })
      for (let i = 0; i < 3; i++) assert.equal((await server.gql(VIEWER, { token: old.secret })).status, 200)
      const next = await rotate(old.id, 'PT1H')
      assert.equal(await remaining(next.token.id), 15)
      assert.equal(await remaining(old.id), 15)
      const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => server.gql(VIEWER, { token: i % 2 === 0 ? old.secret : next.secret }).then((r) => r.status)))
      assert.equal(statuses.filter((s) => s === 200).length, 15)
      assert.equal(statuses.filter((s) => s === 429).length, 25)
      assert.equal(await remaining(next.token.id), 0)
      assert.equal(await remaining(old.id), 0)
    })

    test('the old secret never refills a balance of its own during the grace', async () => {
      const old = await issue(server, { scopes: ['tokens:read'], constraints: { credits: { remaining: 1, refill: { amount: 4, interval: '1m' } } } })
      const next = await rotate(old.id, 'PT1H')
      const refillOf = async (id: string) => dataOf(await server.gql(CONSTRAINTS, { variables: { id } })).token.constraints.credits.nextRefillAt as string | null
      assert.ok((await refillOf(next.token.id)) !== null)
      assert.equal(await refillOf(old.id), await refillOf(next.token.id), "the old token reports its successor's refill")
      assert.equal((await server.gql(VIEWER, { token: next.secret })).status, 200)
      assert.deepEqual(errorCodes(await server.gql(VIEWER, { token: old.secret })), ['USAGE_EXCEEDED'])
      server.advance(60_000)
      try {
        // One refill, of the one balance: 4 requests in all, through either secret.
        const statuses = await Promise.all(Array.from({ length: 10 }, (_, i) => server.gql(VIEWER, { token: i % 2 === 0 ? old.secret : next.secret }).then((r) => r.status)))
        assert.equal(statuses.filter((s) => s === 200).length, 4)
      } finally {
        server.advance(-60_000)
      }
    })

    for (const grace of ['PT1H', null]) {
      test(`requests racing a rotation (grace: ${grace ?? 'none'}) spend each credit once: every success is a credit the successor no longer has`, async () => {
        const old = await issue(server, { scopes: ['tokens:read', 'tokens:write'], constraints: { credits: { remaining: 20 } } })
        const before = Array.from({ length: 30 }, () => server.gql(VIEWER, { token: old.secret }).then((r) => r.status))
        const next = await rotate(old.id, grace)
        const after = Array.from({ length: 30 }, (_, i) => server.gql(VIEWER, { token: i % 2 === 0 ? old.secret : next.secret }).then((r) => r.status))
        const succeeded = (await Promise.all([...before, ...after])).filter((s) => s === 200).length
        if (grace) assert.equal(succeeded, 20)
        assert.equal(succeeded + (await remaining(next.token.id)), 20)
      })
    }

    test('a chain of rotations in their graces spends one balance: 15 requests through three secrets against 5 credits succeed exactly 5 times', async () => {
      const first = await issue(server, { scopes: ['tokens:read', 'tokens:write'], constraints: { credits: { remaining: 5 } } })
      const second = await rotate(first.id, 'PT1H')
      const third = await rotate(second.token.id, 'PT1H')
      const secrets = [first.secret, second.secret, third.secret]
      const statuses = await Promise.all(Array.from({ length: 15 }, (_, i) => server.gql(VIEWER, { token: secrets[i % 3] }).then((r) => r.status)))
      assert.equal(statuses.filter((s) => s === 200).length, 5)
      assert.deepEqual([await remaining(first.id), await remaining(second.token.id), await remaining(third.token.id)], [0, 0, 0])
    })

    test('during a grace period both secrets count in one rate-limit window', async () => {
      const old = await issue(server, { scopes: ['tokens:read'], constraints: { rateLimit: { limit: 5, window: '1h' } } })
      for (let i = 0; i < 2; i++) assert.equal((await server.gql(VIEWER, { token: old.secret })).status, 200)
      const next = await rotate(old.id, 'PT1H')
      const statuses = []
      for (let i = 0; i < 6; i++) statuses.push((await server.gql(VIEWER, { token: i % 2 === 0 ? next.secret : old.secret })).status)
      assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429])
      const c = dataOf(await server.gql(CONSTRAINTS, { variables: { id: next.token.id } })).token.constraints
      assert.equal(c.rateLimit.remaining, 0)
    })

    test("changing the successor's other constraints keeps both secrets in the shared window", async () => {
      const old = await issue(server, { scopes: ['tokens:read'], constraints: { rateLimit: { limit: 4, window: '1h' } } })
      for (let i = 0; i < 2; i++) assert.equal((await server.gql(VIEWER, { token: old.secret })).status, 200)
      const next = await rotate(old.id, 'PT1H')
      dataOf(await server.gql(UPDATE, { variables: { id: next.token.id, c: { rateLimit: { limit: 4, window: '1h' }, allowedCidrs: ['127.0.0.0/8'] } } }))
      const statuses = []
      for (let i = 0; i < 4; i++) statuses.push((await server.gql(VIEWER, { token: i % 2 === 0 ? next.secret : old.secret })).status)
      assert.deepEqual(statuses, [200, 200, 429, 429])
    })

    for (const initial of [{ allowedCidrs: ['127.0.0.0/8'] }, undefined]) {
      test(`narrowing the successor's allowlist narrows the old secret during its grace (old token ${initial ? 'with' : 'without'} constraints)`, async () => {
        const old = await issue(server, { scopes: ['tokens:read'], ...(initial ? { constraints: initial } : {}) })
        const next = await rotate(old.id, 'PT1H')
        assert.equal((await server.gql(VIEWER, { token: old.secret })).status, 200)
        dataOf(await server.gql(UPDATE, { variables: { id: next.token.id, c: { allowedCidrs: ['10.0.0.0/8'] } } }))
        for (const secret of [next.secret, old.secret]) {
          const res = await server.gql(VIEWER, { token: secret })
          assert.equal(res.status, 401)
          assert.deepEqual(errorCodes(res), ['UNAUTHENTICATED'])
          assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token".*not valid from this address/)
        }
        const events = await server.app.store.listAuditEvents({ action: 'token.address_refused', target: old.id, limit: 10 })
        assert.equal(events.rows.length, 1, "the old secret's refusal is audited against the old token")
      })
    }

    for (const initial of [{ rateLimit: { limit: 10, window: '1h' } }, undefined]) {
      test(`narrowing the successor's rate limit narrows the old secret during its grace (old token ${initial ? 'with' : 'without'} one)`, async () => {
        const old = await issue(server, { scopes: ['tokens:read'], ...(initial ? { constraints: initial } : {}) })
        for (let i = 0; i < 2; i++) assert.equal((await server.gql(VIEWER, { token: old.secret })).status, 200)
        const next = await rotate(old.id, 'PT1H')
        dataOf(await server.gql(UPDATE, { variables: { id: next.token.id, c: { rateLimit: { limit: 3, window: '1h' } } } }))
        const statuses = []
        for (let i = 0; i < 6; i++) statuses.push((await server.gql(VIEWER, { token: i % 2 === 0 ? old.secret : next.secret })).status)
        assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429])
        const refused = await server.gql(VIEWER, { token: old.secret })
        assert.deepEqual(errorCodes(refused), ['RATE_LIMITED'])
        assert.equal(refused.headers.get('ratelimit-limit'), '3')
        assert.ok(Number(refused.headers.get('retry-after')) >= 1)
      })
    }

    test('without a grace period the successor takes the whole balance and the old secret is refused', async () => {
      const old = await issue(server, { scopes: ['tokens:read'], constraints: { credits: { remaining: 3 } } })
      assert.equal((await server.gql(VIEWER, { token: old.secret })).status, 200)
      const next = await rotate(old.id, null)
      assert.equal((await server.gql(VIEWER, { token: old.secret })).status, 401)
      assert.equal(await remaining(next.token.id), 2)
    })
  })

  describe('narrowing', () => {
    const parentConstraints = {
      allowedCidrs: ['127.0.0.0/8', '10.0.0.0/8'],
      rateLimit: { limit: 100, window: '1m' },
      credits: { remaining: 50, refill: { amount: 50, interval: '1d' } },
    }

    test('a derived token inherits its parent constraints and may narrow each', async () => {
      const parent = await issue(server, { scopes: ALL, constraints: parentConstraints })
      const inherited = dataOf(await server.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'child', scopes: ['tokens:read'] } } })).deriveToken
      const c = dataOf(await server.gql(CONSTRAINTS, { variables: { id: inherited.token.id } })).token.constraints
      assert.deepEqual(c.allowedCidrs, ['127.0.0.0/8', '10.0.0.0/8'])
      assert.equal(c.rateLimit.limit, 100)
      assert.equal(c.credits.remaining, 49) // the parent spent one deriving
      const narrower = dataOf(
        await server.gql(DERIVE, {
          token: parent.secret,
          variables: {
            input: { name: 'child', scopes: ['tokens:read'], constraints: { allowedCidrs: ['127.0.0.1'], rateLimit: { limit: 10, window: '1h' }, credits: { remaining: 5 } } },
          },
        }),
      ).deriveToken
      const n = dataOf(await server.gql(CONSTRAINTS, { variables: { id: narrower.token.id } })).token.constraints
      assert.deepEqual(n.allowedCidrs, ['127.0.0.1'])
      assert.equal(n.rateLimit.limit, 10)
      assert.equal(n.credits.remaining, 5)
    })

    test("a derived token's requests spend its parent's credits too: 40 concurrent requests through the parent and two children against the 10 the parent has left succeed exactly 10 times", async () => {
      const parent = await issue(server, { scopes: ALL, constraints: { credits: { remaining: 12 } } })
      const derive = async (remaining: number) =>
        dataOf(await server.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'child', scopes: ['tokens:read'], constraints: { credits: { remaining } } } } }))
          .deriveToken
      const children = [await derive(10), await derive(10)] // each deriving request spent one of the parent's
      const secrets = [parent.secret, children[0].secret, children[1].secret]
      const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => server.gql(VIEWER, { token: secrets[i % 3] }).then((r) => r.status)))
      assert.equal(statuses.filter((s) => s === 200).length, 10)
      const left = async (id: string) => dataOf(await server.gql(CONSTRAINTS, { variables: { id } })).token.constraints.credits.remaining as number
      assert.equal(await left(parent.id), 0)
      const spentByChildren = statuses.filter((s, i) => s === 200 && i % 3 !== 0).length
      assert.equal((await left(children[0].token.id)) + (await left(children[1].token.id)), 20 - spentByChildren, 'a refused request spends no credit of the child')
    })

    test("a derived token's requests count in its parent's window: across two children and the parent of a 3-per-hour limit exactly 3 pass, then 429 RATE_LIMITED", async () => {
      const parent = await issue(server, { scopes: ALL, constraints: { rateLimit: { limit: 100, window: '1h' } } })
      const derive = async () => dataOf(await server.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'child', scopes: ['tokens:read'] } } })).deriveToken
      const children = [await derive(), await derive()]
      // A new rule starts a new window: the parent's 3 per hour are all left, and each child is narrowed to 3 of its own.
      dataOf(await server.gql(UPDATE, { variables: { id: parent.id, c: { rateLimit: { limit: 3, window: '1h' } } } }))
      const secrets = [children[0].secret, children[1].secret, parent.secret]
      const statuses = []
      for (let i = 0; i < 6; i++) statuses.push((await server.gql(VIEWER, { token: secrets[i % 3] })).status)
      assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429])
      for (const secret of secrets) {
        const refused = await server.gql(VIEWER, { token: secret })
        assert.equal(refused.status, 429)
        assert.deepEqual(errorCodes(refused), ['RATE_LIMITED'])
        const retry = Number(refused.headers.get('retry-after'))
        assert.ok(retry >= 1 && retry <= 3600, `retry-after ${retry}`)
        assert.equal(refused.headers.get('ratelimit-remaining'), '0')
      }
    })

    test("a grandchild's requests count in its parent's and its grandparent's windows; the headers give the tightest", async () => {
      const grandparent = await issue(server, { scopes: ALL, constraints: { rateLimit: { limit: 100, window: '1h' } } })
      const parent = dataOf(
        await server.gql(DERIVE, { token: grandparent.secret, variables: { input: { name: 'parent', scopes: ALL, constraints: { rateLimit: { limit: 3, window: '1h' } } } } }),
      ).deriveToken
      const child = dataOf(await server.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'child', scopes: ['tokens:read'] } } })).deriveToken
      // Spent so far: the grandparent's window 2 (two derives), the parent's 1.
      const first = await server.gql(VIEWER, { token: child.secret })
      assert.equal(first.status, 200)
      assert.equal(first.headers.get('ratelimit-limit'), '3')
      assert.equal(first.headers.get('ratelimit-remaining'), '1', "the parent's window, the tightest")
      assert.equal((await server.gql(VIEWER, { token: child.secret })).status, 200)
      assert.deepEqual(errorCodes(await server.gql(VIEWER, { token: child.secret })), ['RATE_LIMITED'])
      assert.deepEqual(errorCodes(await server.gql(VIEWER, { token: parent.secret })), ['RATE_LIMITED'])
      // The grandparent's window counted each of the child's 3 requests and the parent's refused one.
      const own = await server.gql(VIEWER, { token: grandparent.secret })
      assert.equal(own.status, 200)
      assert.equal(own.headers.get('ratelimit-remaining'), String(100 - 2 - 3 - 1 - 1))
    })

    test('a derived token of a parent without a rate limit counts in its own window only', async () => {
      const parent = await issue(server, { scopes: ALL })
      const child = dataOf(
        await server.gql(DERIVE, {
          token: parent.secret,
          variables: { input: { name: 'child', scopes: ['tokens:read'], constraints: { rateLimit: { limit: 2, window: '1h' } } } },
        }),
      ).deriveToken
      const plain = dataOf(await server.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'plain', scopes: ['tokens:read'] } } })).deriveToken
      const statuses = []
      for (let i = 0; i < 3; i++) statuses.push((await server.gql(VIEWER, { token: child.secret })).status)
      assert.deepEqual(statuses, [200, 200, 429])
      for (const secret of [parent.secret, plain.secret]) {
        const res = await server.gql(VIEWER, { token: secret })
        assert.equal(res.status, 200)
        assert.equal(res.headers.get('ratelimit-limit'), null)
      }
    })

    test('a derived token wider than its parent is refused with the code naming what widened; nothing is written', async () => {
      const parent = await issue(server, { scopes: ALL, constraints: parentConstraints })
      const cases: [Record<string, unknown>, string][] = [
        [{ allowedCidrs: ['0.0.0.0/0'] }, 'ALLOWLIST_WIDENED'],
        [{ allowedCidrs: ['192.168.0.0/16'] }, 'ALLOWLIST_WIDENED'],
        [{ rateLimit: { limit: 101, window: '1m' } }, 'RATE_LIMIT_WIDENED'],
        [{ rateLimit: { limit: 100, window: '30s' } }, 'RATE_LIMIT_WIDENED'],
        [{ credits: { remaining: 1000 } }, 'CREDITS_WIDENED'],
        [{ credits: { remaining: 5, refill: { amount: 5, interval: '1h' } } }, 'CREDITS_WIDENED'],
      ]
      for (const [constraints, code] of cases) {
        const tokens = await tokenCount(server)
        const events = await auditCount(server)
        const res = await server.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'child', scopes: ['tokens:read'], constraints } } })
        assert.deepEqual(errorCodes(res), [code], JSON.stringify(constraints))
        assert.equal(await tokenCount(server), tokens)
        assert.equal(await auditCount(server), events)
      }
    })

    test('updateTokenConstraints narrows; widening by a token that could not issue it is refused and changes nothing; the root token may', async () => {
      const admin = await issue(server, { scopes: ['tokens:read', 'tokens:write'] })
      const target = await issue(server, { scopes: ['tokens:read'], constraints: { rateLimit: { limit: 50, window: '1m' }, allowedCidrs: ['127.0.0.0/8'] } })
      const narrowed = dataOf(
        await server.gql(UPDATE, { token: admin.secret, variables: { id: target.id, c: { rateLimit: { limit: 10, window: '1m' }, allowedCidrs: ['127.0.0.1'] } } }),
      ).updateTokenConstraints
      assert.equal(narrowed.constraints.rateLimit.limit, 10)
      // The target narrows itself? It lacks tokens:write; a token that holds it may not widen itself.
      const self = await issue(server, { scopes: ['tokens:read', 'tokens:write'], constraints: { rateLimit: { limit: 5, window: '1m' } } })
      const before = dataOf(await server.gql(CONSTRAINTS, { variables: { id: self.id } })).token.constraints
      const selfWiden = await server.gql(UPDATE, { token: self.secret, variables: { id: self.id, c: { rateLimit: { limit: 500, window: '1m' } } } })
      assert.deepEqual(errorCodes(selfWiden), ['RATE_LIMIT_WIDENED'])
      const removeAll = await server.gql(UPDATE, { token: self.secret, variables: { id: self.id, c: {} } })
      assert.deepEqual(errorCodes(removeAll), ['RATE_LIMIT_WIDENED'])
      const afterRefusals = dataOf(await server.gql(CONSTRAINTS, { variables: { id: self.id } })).token.constraints
      assert.deepEqual(
        { ...afterRefusals, rateLimit: { ...afterRefusals.rateLimit, remaining: null, reset: null } },
        { ...before, rateLimit: { ...before.rateLimit, remaining: null, reset: null } },
      )
      // A narrower-scoped token cannot widen a token holding scopes it could not grant.
      const wide = await issue(server, { scopes: ['apps:read', 'tokens:read'], constraints: { allowedCidrs: ['127.0.0.1'] } })
      const widenOther = await server.gql(UPDATE, { token: admin.secret, variables: { id: wide.id, c: { allowedCidrs: ['127.0.0.0/8'] } } })
      assert.deepEqual(errorCodes(widenOther), ['ALLOWLIST_WIDENED'])
      const widened = dataOf(await server.gql(UPDATE, { variables: { id: wide.id, c: { allowedCidrs: ['127.0.0.0/8'] } } })).updateTokenConstraints
      assert.deepEqual(widened.constraints.allowedCidrs, ['127.0.0.0/8'])
    })

    test('narrowing a parent narrows its derived tokens with it', async () => {
      const parent = await issue(server, { scopes: ALL, constraints: { allowedCidrs: ['127.0.0.0/8'], credits: { remaining: 100 } } })
      const child = dataOf(await server.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'child', scopes: ['tokens:read'] } } })).deriveToken
      dataOf(await server.gql(UPDATE, { variables: { id: parent.id, c: { allowedCidrs: ['10.0.0.0/8'], credits: { remaining: 3 } } } }))
      const c = dataOf(await server.gql(CONSTRAINTS, { variables: { id: child.token.id } })).token.constraints
      assert.deepEqual(c.allowedCidrs, [])
      assert.equal(c.credits.remaining, 3)
      assert.equal((await server.gql(VIEWER, { token: child.secret })).status, 401)
    })

    test("an app's maximum requires each member it sets of every token; its defaults fill what the issuer leaves out", async () => {
      const app = await createApp(server, {
        allowedScopes: ['tokens:read'],
        tokenConstraints: { defaults: { allowedCidrs: ['127.0.0.1'], rateLimit: { limit: 10, window: '1m' } }, maximum: { allowedCidrs: ['127.0.0.0/8'] } },
      })
      const defaulted = await issue(server, { appId: app.id, scopes: ['tokens:read'] })
      const c = dataOf(await server.gql(CONSTRAINTS, { variables: { id: defaulted.id } })).token.constraints
      assert.deepEqual(c.allowedCidrs, ['127.0.0.1'])
      assert.equal(c.rateLimit.limit, 10)
      const tokens = await tokenCount(server)
      const outside = await server.gql(`mutation($i: IssueTokenInput!) { issueToken(input: $i) { secret } }`, {
        variables: { i: { name: 'x', appId: app.id, scopes: ['tokens:read'], constraints: { allowedCidrs: ['0.0.0.0/0'] } } },
      })
      assert.deepEqual(errorCodes(outside), ['ALLOWLIST_WIDENED'])
      assert.equal(outside.body.errors?.[0]?.extensions?.bound, "the app's maximum")
      assert.equal(await tokenCount(server), tokens)
      // Without defaults, a maximum that requires an allowlist refuses a token that states none.
      const strict = await createApp(server, { allowedScopes: ['tokens:read'], tokenConstraints: { maximum: { allowedCidrs: ['10.0.0.0/8'] } } })
      const none = await server.gql(`mutation($i: IssueTokenInput!) { issueToken(input: $i) { secret } }`, {
        variables: { i: { name: 'x', appId: strict.id, scopes: ['tokens:read'] } },
      })
      assert.deepEqual(errorCodes(none), ['ALLOWLIST_WIDENED'])
      const read = dataOf(
        await server.gql(`query($id: ID!) { app(id: $id) { tokenConstraints { maximum { allowedCidrs } defaults { allowedCidrs } } } }`, { variables: { id: strict.id } }),
      )
      assert.deepEqual(read.app.tokenConstraints, { maximum: { allowedCidrs: ['10.0.0.0/8'] }, defaults: null })
    })

    test("an app's defaults outside its maximum are refused", async () => {
      const res = await server.gql(`mutation($i: CreateAppInput!) { createApp(input: $i) { id } }`, {
        variables: {
          i: {
            name: 'bad',
            allowedScopes: ['tokens:read'],
            tokenConstraints: { defaults: { rateLimit: { limit: 100, window: '1m' } }, maximum: { rateLimit: { limit: 10, window: '1m' } } },
          },
        },
      })
      assert.deepEqual(errorCodes(res), ['RATE_LIMIT_WIDENED'])
    })
  })
})

describe('token constraints behind a trusted proxy', () => {
  let server: TestServer
  before(async () => {
    server = await startServer({ env: { SCOPEWARD_TRUSTED_PROXIES: '127.0.0.1' } })
  })
  after(async () => {
    await server.stop()
  })

  test('the client address is the one X-Forwarded-For gives through the trusted proxy', async () => {
    const { secret } = await issue(server, { scopes: ['tokens:read'], constraints: { allowedCidrs: ['10.0.0.0/8'] } })
    assert.equal((await server.gql(VIEWER, { token: secret, headers: { 'x-forwarded-for': '10.1.2.3' } })).status, 200)
    const outside = await server.gql(VIEWER, { token: secret, headers: { 'x-forwarded-for': '203.0.113.5' } })
    assert.equal(outside.status, 401)
    assert.match(outside.body.errors?.[0]?.message ?? '', /not valid from this address/)
    // A client cannot prepend its way in: the right-most untrusted hop is the client.
    assert.equal((await server.gql(VIEWER, { token: secret, headers: { 'x-forwarded-for': '10.1.2.3, 203.0.113.5' } })).status, 401)
  })
})
