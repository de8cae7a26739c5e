// The HTTP front on Fastify, without sockets where none is needed (inject): trusted proxies as CIDR
// ranges, request ids, request loggers (request id and token id on every line), path parameters,
// body limits, and hostile Host headers. Drain keeps real sockets: it is about connections.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { loadConfig } from '../../src/config.js'
import type { Domain } from '../../src/domain/context.js'
import { createLogger } from '../../src/logger.js'
import { sendJson } from '../../src/http/respond.js'
import { HttpServer } from '../../src/http/server.js'
import { issue, startServer, type TestServer } from '../e2e/harness.js'

const PROXY = '10.1.2.3'
const OUTSIDER = '192.0.2.9'
const CLIENT = '203.0.113.7'
const BAD_TOKEN = `swt_${'A'.repeat(54)}`
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const ISSUE_AUDITED = 'mutation { issueToken(input: { name: "through a proxy", scopes: ["tokens:read"] }) { token { id } } }'

/** POST /graphql through inject, from `remoteAddress`, optionally claiming `forwardedFor`. */
async function gql(server: TestServer, query: string, options: { token?: string; remoteAddress?: string; forwardedFor?: string; requestId?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${options.token ?? server.rootToken}` }
  if (options.forwardedFor) headers['x-forwarded-for'] = options.forwardedFor
  if (options.requestId) headers['x-request-id'] = options.requestId
  return server.app.http.inject({ method: 'POST', url: '/graphql', headers, payload: JSON.stringify({ query }), remoteAddress: options.remoteAddress ?? '127.0.0.1' })
}

/** The ip the audit log recorded for the token issued by ISSUE_AUDITED. */
async function auditedIp(server: TestServer, tokenId: string): Promise<string | null> {
  const res = await gql(server, `{ auditEvents(target: "${tokenId}", action: "token.issue") { edges { node { ip } } } }`)
  const edges = (JSON.parse(res.body) as { data: { auditEvents: { edges: { node: { ip: string | null } }[] } } }).data.auditEvents.edges
  assert.equal(edges.length, 1)
  return (edges[0] as { node: { ip: string | null } }).node.ip
}

function logLines(server: TestServer, from: number): Record<string, unknown>[] {
  return server.logs.slice(from).map((line) => JSON.parse(line) as Record<string, unknown>)
}

describe('SCOPEWARD_TRUSTED_PROXIES takes addresses and CIDR ranges', () => {
  test('accepts ranges and addresses of both families', () => {
    const config = loadConfig({}, { SCOPEWARD_TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.1, fd00::/8, ::1' })
    assert.deepEqual([...config.trustedProxies], ['10.0.0.0/8', '192.168.1.1', 'fd00::/8', '::1'])
  })

  for (const bad of ['10.0.0.0/33', '10.0.0.0/8/1', '10.0.0/8', 'fd00::/129', '10.0.0.0/', '10.0.0.0/-1', 'x', '*']) {
    test(`refuses ${JSON.stringify(bad)} with a message naming the setting and the entry`, () => {
      assert.throws(
        () => loadConfig({}, { SCOPEWARD_TRUSTED_PROXIES: bad }),
        (error: Error) => error.message.includes('SCOPEWARD_TRUSTED_PROXIES') && error.message.includes(JSON.stringify(bad)),
      )
    })
  }
})

describe('behind SCOPEWARD_TRUSTED_PROXIES=10.0.0.0/8 (SCOPEWARD_AUTH_FAILURES_PER_MINUTE=3)', () => {
  let server: TestServer
  before(async () => {
    server = await startServer({ env: { SCOPEWARD_TRUSTED_PROXIES: '10.0.0.0/8', SCOPEWARD_AUTH_FAILURES_PER_MINUTE: '3' } })
  })
  after(() => server.stop())

  test('a request through a proxy in the range is audited with its X-Forwarded-For client address', async () => {
    const res = await gql(server, ISSUE_AUDITED, { remoteAddress: PROXY, forwardedFor: `198.51.100.1, ${CLIENT}` })
    assert.equal(res.statusCode, 200, res.body)
    const id = (JSON.parse(res.body) as { data: { issueToken: { token: { id: string } } } }).data.issueToken.token.id
    assert.equal(await auditedIp(server, id), CLIENT)
  })

  test('a request from outside the range is audited with its own address: its X-Forwarded-For is ignored', async () => {
    const res = await gql(server, ISSUE_AUDITED, { remoteAddress: OUTSIDER, forwardedFor: CLIENT })
    assert.equal(res.statusCode, 200, res.body)
    const id = (JSON.parse(res.body) as { data: { issueToken: { token: { id: string } } } }).data.issueToken.token.id
    assert.equal(await auditedIp(server, id), OUTSIDER)
  })

  test('the throttle counts the forwarded client through a proxy in the range, and the peer itself outside it', async () => {
    // Through the proxy: the client behind it is throttled, another client behind the same proxy is not.
    for (let i = 0; i < 3; i++) assert.equal((await gql(server, '{ viewer { id } }', { token: BAD_TOKEN, remoteAddress: PROXY, forwardedFor: '203.0.113.50' })).statusCode, 401)
    assert.equal((await gql(server, '{ viewer { id } }', { remoteAddress: PROXY, forwardedFor: '203.0.113.50' })).statusCode, 429)
    assert.equal((await gql(server, '{ viewer { id } }', { remoteAddress: PROXY, forwardedFor: '203.0.113.51' })).statusCode, 200)
    // Outside the range: rotating X-Forwarded-For does not escape; the peer address is what counts.
    for (let i = 0; i < 3; i++)
      assert.equal((await gql(server, '{ viewer { id } }', { token: BAD_TOKEN, remoteAddress: '192.0.2.77', forwardedFor: `203.0.113.${60 + i}` })).statusCode, 401)
    const throttled = await gql(server, '{ viewer { id } }', { remoteAddress: '192.0.2.77', forwardedFor: '203.0.113.99' })
    assert.equal(throttled.statusCode, 429)
    assert.ok(Number(throttled.headers['retry-after']) >= 1)
  })
})

describe('request ids and request loggers', () => {
  let server: TestServer
  before(async () => {
    server = await startServer()
  })
  after(() => server.stop())

  test('a safe inbound X-Request-Id is kept and echoed; every log line of the request carries it', async () => {
    const from = server.logs.length
    const res = await gql(server, '{ viewer { id } }', { token: BAD_TOKEN, requestId: 'trace-42.a_b' })
    assert.equal(res.statusCode, 401)
    assert.equal(res.headers['x-request-id'], 'trace-42.a_b')
    const lines = logLines(server, from)
    assert.ok(lines.some((l) => l.msg === 'authentication refused'))
    assert.ok(lines.some((l) => l.msg === 'request'))
    for (const line of lines) assert.equal(line.requestId, 'trace-42.a_b', JSON.stringify(line))
  })

  for (const unsafe of ['a b', 'x'.repeat(65), 'id\u00e9', '<script>', '']) {
    test(`an unsafe inbound id (${JSON.stringify(unsafe.slice(0, 10))}) is replaced by a fresh UUID`, async () => {
      const res = await server.app.http.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': unsafe } })
      assert.match(String(res.headers['x-request-id']), UUID)
    })
  }

  test('without an inbound id, each request gets its own UUID', async () => {
    const [a, b] = await Promise.all([server.app.http.inject('/healthz'), server.app.http.inject('/healthz')])
    assert.match(String(a?.headers['x-request-id']), UUID)
    assert.notEqual(a?.headers['x-request-id'], b?.headers['x-request-id'])
  })

  test('an authenticated request logs one access line, carrying its request id and token id', async () => {
    const { secret, id } = await issue(server, { scopes: ['tokens:read'] })
    const from = server.logs.length
    const res = await gql(server, '{ viewer { id } }', { token: secret, requestId: 'access-1' })
    assert.equal(res.statusCode, 200)
    const lines = logLines(server, from).filter((l) => l.requestId === 'access-1')
    assert.equal(lines.filter((l) => l.msg === 'request').length, 1, 'one access line per request')
    const access = lines.find((l) => l.msg === 'request') as Record<string, unknown>
    assert.equal(access.tokenId, id)
    assert.equal(access.status, 200)
    assert.equal(access.path, '/graphql')
  })

  test('"authentication refused" names the token a well-formed but revoked credential claims, never its secret', async () => {
    const { secret, id } = await issue(server, { scopes: ['tokens:read'] })
    await server.gql(`mutation { revokeToken(id: "${id}") { id } }`)
    const from = server.logs.length
    assert.equal((await gql(server, '{ viewer { id } }', { token: secret, requestId: 'refused-1' })).statusCode, 401)
    const refused = logLines(server, from).find((l) => l.msg === 'authentication refused')
    assert.ok(refused)
    assert.equal(refused.requestId, 'refused-1')
    assert.equal(refused.tokenId, id)
    assert.ok(!server.logs.slice(from).some((l) => l.includes(secret) || l.includes(secret.slice(20, 52))), 'the secret is never logged')
  })

  test('a JWT refused after it was revoked is logged with its token id (jti)', async () => {
    const { secret, id } = await issue(server, { scopes: ['tokens:read'], kind: 'JWT' })
    await server.gql(`mutation { revokeToken(id: "${id}") { id } }`)
    const from = server.logs.length
    assert.equal((await gql(server, '{ viewer { id } }', { token: secret })).statusCode, 401)
    const refused = logLines(server, from).find((l) => l.msg === 'authentication refused')
    assert.equal(refused?.tokenId, id)
    assert.ok(!server.logs.slice(from).some((l) => l.includes(secret.split('.')[2] as string)), 'no signature in the log')
  })

  test('a credential that names no token (malformed, or an id-less JWT) is refused with a request id and no token id', async () => {
    for (const token of [BAD_TOKEN, 'not-a-token', 'e30.e30.sig']) {
      const from = server.logs.length
      assert.equal((await gql(server, '{ viewer { id } }', { token })).statusCode, 401)
      const refused = logLines(server, from).find((l) => l.msg === 'authentication refused')
      assert.ok(refused && typeof refused.requestId === 'string', token)
      assert.equal(refused.tokenId, undefined, token)
    }
  })

  test('a Host header that is no URL host still gets a GraphQL answer, not a 500', async () => {
    for (const host of ['a b', '[::1', 'x/y?z']) {
      const res = await server.app.http.inject({
        method: 'POST',
        url: '/graphql',
        headers: { host, 'content-type': 'application/json', authorization: `Bearer ${server.rootToken}` },
        payload: '{"query":"{ viewer { id } }"}',
      })
      assert.equal(res.statusCode, 200, `${host}: ${res.body}`)
    }
  })

  test('an OAuth form over 16 KiB is an RFC 6749 invalid_request naming the limit; a /graphql body over the limit is 413', async () => {
    const form = await server.app.http.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=client_credentials&pad=${'a'.repeat(17_000)}`,
    })
    assert.equal(form.statusCode, 400)
    assert.deepEqual(JSON.parse(form.body), { error: 'invalid_request', error_description: 'request body exceeds 16384 bytes' })
    assert.equal(form.headers['cache-control'], 'no-store')
    const big = await server.app.http.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ query: `{ viewer { id } } #${'a'.repeat(200_000)}` }),
    })
    assert.equal(big.statusCode, 413)
    assert.equal((JSON.parse(big.body) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code, 'PAYLOAD_TOO_LARGE')
  })

  test("an OAuth route with another content type is invalid_request; a malformed one too (not Fastify's 415)", async () => {
    for (const type of ['application/json', 'text/plain', 'not a type']) {
      const res = await server.app.http.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': type }, payload: 'grant_type=client_credentials' })
      assert.equal(res.statusCode, 400, type)
      assert.equal((JSON.parse(res.body) as { error: string }).error, 'invalid_request', type)
    }
  })

  test('a path that is not valid percent-encoding is a 404 like any unknown path, with the security headers', async () => {
    const res = await server.app.http.inject('/%zz')
    assert.equal(res.statusCode, 404)
    assert.deepEqual(JSON.parse(res.body), { error: 'not_found', error_description: 'no route /%zz' })
    assert.equal(res.headers['x-content-type-options'], 'nosniff')
    assert.match(String(res.headers['x-request-id']), UUID)
  })
})

/** A bare HTTP front with no domain: for what the router itself does. */
function bareServer(): HttpServer {
  return new HttpServer({ domain: {} as Domain, logger: createLogger('silent'), bodyLimitBytes: 1024, onAuthFailure: () => {} })
}

describe('the router', () => {
  test('hands path parameters to the route, and answers 405 for the parameterised path with another method', async () => {
    const http = bareServer().route('GET', '/things/:id', (_req, res, rc) => sendJson(res, 200, { id: rc.params.id }))
    try {
      const res = await http.inject('/things/abc-123')
      assert.equal(res.statusCode, 200)
      assert.deepEqual(JSON.parse(res.body), { id: 'abc-123' })
      assert.equal((await http.inject({ method: 'POST', url: '/things/abc' })).statusCode, 405)
      assert.equal((await http.inject('/things')).statusCode, 404)
    } finally {
      await http.close()
    }
  })

  test('close() drains: an in-flight request finishes with 200, a new connection is refused, then close resolves', async () => {
    let entered!: () => void
    const inside = new Promise<void>((resolve) => (entered = resolve))
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const http = bareServer().route('GET', '/slow', async (_req, res) => {
      entered()
      await gate
      sendJson(res, 200, { done: true })
    })
    const { port } = await http.listen(0, '127.0.0.1')
    const inFlight = fetch(`http://127.0.0.1:${port}/slow`)
    await inside
    const closed = http.close()
    await assert.rejects(fetch(`http://127.0.0.1:${port}/slow`, { headers: { connection: 'close' } }))
    release()
    const res = await inFlight
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { done: true })
    await closed
  })
})
