// Invalid bearer tokens: every one is refused whole (401, invalid_token, UNAUTHENTICATED), whatever the operation asks.
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { checksum, OPAQUE_PREFIX } from '../../src/tokens/opaque-token.js'
import { createApp, dataOf, DERIVE, issue, REVOKE, ROTATE, startServer, type GraphQLResult, type TestServer } from './harness.js'
import { expectRefused } from './refusal.js'

/** Operations that must all be refused the same way: a protected query, one needing nothing, and a mutation. */
const OPERATIONS = ['{ viewer { id } }', '{ __typename }', 'mutation { revokeToken(id: "Zz9Zz9Zz9Zz9Zz9Z") { id } }']

function assertInvalidToken(result: GraphQLResult): void {
  assert.equal(result.status, 401, JSON.stringify(result.body))
  assert.match(result.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/)
  assert.deepEqual(
    result.body.errors?.map((e) => e.extensions?.code),
    ['UNAUTHENTICATED'],
  )
  assert.equal(result.body.data, undefined)
}

/** Writes `raw` bytes to the server and returns everything it answers before closing. */
function rawRequest(server: TestServer, raw: string): Promise<string> {
  const url = new URL(server.url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(raw))
    let data = ''
    socket.on('data', (chunk) => (data += chunk.toString('latin1')))
    socket.on('end', () => resolve(data))
    socket.on('error', reject)
  })
}

/** A well-formed token (right prefix, lengths and checksum) whose id and secret are given. */
function forge(id: string, secret: string): string {
  const body = OPAQUE_PREFIX + id + secret
  return body + checksum(body)
}

/** Flips one base62 character at `index` to a different base62 character. */
function flip(text: string, index: number): string {
  const c = text[index]
  return text.slice(0, index) + (c === 'a' ? 'b' : 'a') + text.slice(index + 1)
}

describe('invalid bearer tokens', () => {
  let server: TestServer
  let app: { id: string }
  let valid: { secret: string; id: string }

  before(async () => {
    // This file refuses hundreds of tokens from one address on purpose: lift the per-address throttle.
    server = await startServer({ env: { SCOPEWARD_AUTH_FAILURES_PER_MINUTE: '1000000' } })
    app = await createApp(server, { name: 'a', allowedScopes: ['tokens:write', 'apps:write'] })
    valid = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
  })
  after(() => server.stop())

  /** Asserts `token` is refused for every operation and that nothing was written. */
  async function refusedEverywhere(token: string): Promise<void> {
    for (const query of OPERATIONS) {
      const { result } = await expectRefused(server, () => server.gql(query, { token }), 'UNAUTHENTICATED')
      assertInvalidToken(result)
    }
  }

  test('a valid token is accepted (the control case)', async () => {
    assert.deepEqual(dataOf(await server.gql('{ viewer { id } }', { token: valid.secret })).viewer, { id: valid.id })
  })

  const shapes: [string, () => string][] = [
    ['garbage', () => 'not-a-token'],
    ['the wrong prefix', () => 'ghp_' + valid.secret.slice(4)],
    ['a truncated token', () => valid.secret.slice(0, -1)],
    ['an extended token', () => valid.secret + 'a'],
    ['one flipped character of the secret (bad checksum)', () => flip(valid.secret, 4 + 16 + 5)],
    ['one flipped character of the checksum', () => flip(valid.secret, valid.secret.length - 1)],
    ['an unknown id with a valid checksum', () => forge('Zz9Zz9Zz9Zz9Zz9Z', valid.secret.slice(20, 52))],
    ['the right id with a wrong secret and a valid checksum', () => forge(valid.id, 'a'.repeat(32))],
    ['the plain token id', () => valid.id],
    ['a token of 5000 characters', () => 'swt_' + 'a'.repeat(5000)],
    ['a JWT-looking string', () => 'eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0.'],
  ]
  for (const [name, make] of shapes) {
    test(`refuses ${name}`, async () => {
      await refusedEverywhere(make())
    })
  }

  test('refuses an expired token, which worked until then', async () => {
    const short = await issue(server, { appId: app.id, scopes: ['tokens:write'], expiresIn: 'PT10M' })
    server.advance(9 * 60_000)
    assert.deepEqual(dataOf(await server.gql('{ viewer { id } }', { token: short.secret })).viewer, { id: short.id })
    server.advance(2 * 60_000)
    await refusedEverywhere(short.secret)
  })

  test('refuses a revoked token', async () => {
    const t = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
    dataOf(await server.gql(REVOKE, { variables: { id: t.id } }))
    await refusedEverywhere(t.secret)
  })

  test('refuses a derived token whose parent was revoked, while an unrelated token still works', async () => {
    const parent = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
    const child = dataOf(await server.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'c', scopes: ['tokens:read'] } } })).deriveToken
    assert.deepEqual(dataOf(await server.gql('{ viewer { id } }', { token: child.secret })).viewer, { id: child.token.id })
    dataOf(await server.gql(REVOKE, { variables: { id: parent.id } }))
    await refusedEverywhere(child.secret)
    assert.deepEqual(dataOf(await server.gql('{ viewer { id } }', { token: valid.secret })).viewer, { id: valid.id })
  })

  test('refuses every token of a disabled app, and tokens of other apps still work', async () => {
    const doomed = await createApp(server, { name: 'doomed', allowedScopes: ['tokens:read'] })
    const t = await issue(server, { appId: doomed.id, scopes: ['tokens:read'] })
    assert.equal((await server.gql('{ viewer { id } }', { token: t.secret })).status, 200)
    dataOf(await server.gql('mutation($id: ID!) { disableApp(id: $id) { disabledAt } }', { variables: { id: doomed.id } }))
    await refusedEverywhere(t.secret)
    assert.equal((await server.gql('{ viewer { id } }', { token: valid.secret })).status, 200)
  })

  test('refuses a token rotated without grace at once; the successor works', async () => {
    const t = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
    const rotated = dataOf(await server.gql(ROTATE, { variables: { id: t.id } })).rotateToken
    await refusedEverywhere(t.secret)
    assert.deepEqual(dataOf(await server.gql('{ viewer { id } }', { token: rotated.secret })).viewer, { id: rotated.token.id })
  })

  test('a token rotated with a grace period works until the grace ends, then is refused', async () => {
    const t = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
    const rotated = dataOf(await server.gql(ROTATE, { variables: { id: t.id, grace: 'PT1H' } })).rotateToken
    server.advance(59 * 60_000)
    assert.deepEqual(dataOf(await server.gql('{ viewer { id } }', { token: t.secret })).viewer, { id: t.id })
    server.advance(2 * 60_000)
    await refusedEverywhere(t.secret)
    assert.deepEqual(dataOf(await server.gql('{ viewer { id } }', { token: rotated.secret })).viewer, { id: rotated.token.id })
  })

  test('refuses a grace period beyond PT24H naming gracePeriod', async () => {
    const t = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
    const { error } = await expectRefused(server, () => server.gql(ROTATE, { variables: { id: t.id, grace: 'PT25H' } }), 'BAD_USER_INPUT')
    assert.equal(error.extensions?.field, 'gracePeriod')
  })

  describe('the Authorization header', () => {
    const send = (authorization: string, query = '{ viewer { id } }') => server.gql(query, { token: null, headers: { authorization } })

    test('accepts a lowercase or uppercase scheme (RFC 6750: the scheme is case-insensitive)', async () => {
      for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
        assert.deepEqual(dataOf(await send(`${scheme} ${valid.secret}`)).viewer, { id: valid.id })
      }
    })

    test('accepts several spaces after the scheme (RFC 6750 §2.1: 1*SP)', async () => {
      assert.deepEqual(dataOf(await send(`Bearer  ${valid.secret}`)).viewer, { id: valid.id })
    })

    const refused: [string, () => string][] = [
      ['the Basic scheme', () => `Basic ${Buffer.from(`${app.id}:${valid.secret}`).toString('base64')}`],
      ['Bearer with an empty token', () => 'Bearer '],
      ['Bearer alone', () => 'Bearer'],
      ['two tokens separated by a space', () => `Bearer ${valid.secret} ${valid.secret}`],
      ['no space after the scheme', () => `Bearer${valid.secret}`],
      ['a token inside quotes', () => `Bearer "${valid.secret}"`],
      ['an empty header', () => ''],
      ['a token with a comma-separated second credential', () => `Bearer ${valid.secret}, Basic abc`],
    ]
    for (const [name, make] of refused) {
      test(`refuses ${name} with 401 invalid_token, even for a @public field`, async () => {
        for (const query of OPERATIONS) assertInvalidToken(await send(make(), query))
      })
    }

    test('a token followed by a raw newline in the header never authenticates and never answers 5xx', async () => {
      // Fetch and node:http refuse to send such a header, so the request is written by hand.
      const body = JSON.stringify({ query: '{ viewer { id } }' })
      const raw = `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${valid.secret}\n\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
      const response = await rawRequest(server, raw)
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0)
      assert.ok(status === 400 || status === 401, `expected 400 or 401, got ${JSON.stringify(response.slice(0, 200))}`)
    })

    test('a token copied with a trailing newline is trimmed by the client (Fetch) and works: header values cannot end in a newline', async () => {
      assert.deepEqual(dataOf(await send(`Bearer ${valid.secret}\n`)).viewer, { id: valid.id })
    })
  })

  describe('no token at all', () => {
    test('reads what needs no token, and not scopeRequirements (any valid token, issue 11.15)', async () => {
      const result = await server.gql('{ __typename scopeRequirements { coordinate } }', { token: null })
      assert.equal(result.status, 200)
      assert.deepEqual(result.body.data, { __typename: 'Query', scopeRequirements: null })
      assert.deepEqual(
        result.body.errors?.map((e) => [e.extensions?.code, e.path]),
        [['UNAUTHENTICATED', ['scopeRequirements']]],
      )
    })

    test('a protected nullable query field answers null with UNAUTHENTICATED at its path, beside public data', async () => {
      const result = await server.gql(`{ __typename token(id: "${valid.id}") { id } }`, { token: null })
      assert.equal(result.status, 200)
      assert.deepEqual(result.body.data, { __typename: 'Query', token: null })
      assert.deepEqual(
        result.body.errors?.map((e) => [e.extensions?.code, e.path]),
        [['UNAUTHENTICATED', ['token']]],
      )
    })

    test('a protected list field is nullable too: refused at its path, the rest of the data kept (issue 11.19)', async () => {
      const result = await server.gql('{ __typename tokens { totalCount } }', { token: null })
      assert.equal(result.status, 200)
      assert.deepEqual(result.body.data, { __typename: 'Query', tokens: null })
      assert.deepEqual(
        result.body.errors?.map((e) => [e.extensions?.code, e.path]),
        [['UNAUTHENTICATED', ['tokens']]],
      )
    })

    test('the viewer query answers null with UNAUTHENTICATED', async () => {
      const result = await server.gql('{ viewer { id } }', { token: null })
      assert.equal(result.body.data?.viewer, null)
      assert.deepEqual(
        result.body.errors?.map((e) => [e.extensions?.code, e.path]),
        [['UNAUTHENTICATED', ['viewer']]],
      )
    })

    test('a token in the query string is never read (RFC 6750 §2.3 is not supported)', async () => {
      const res = await fetch(`${server.url}/graphql?access_token=${valid.secret}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ viewer { id } }' }),
      })
      const body = (await res.json()) as any
      assert.equal(body.data.viewer, null)
      assert.deepEqual(
        body.errors.map((e: any) => e.extensions.code),
        ['UNAUTHENTICATED'],
      )
    })

    test('a mutation is refused whole with 401 and writes nothing', async () => {
      const { result } = await expectRefused(
        server,
        () => server.gql(`mutation { issueToken(input: { appId: "${app.id}", name: "x", scopes: ["tokens:read"] }) { secret } }`, { token: null }),
        'UNAUTHENTICATED',
      )
      assert.equal(result.status, 401)
      assert.equal(result.body.data ?? null, null)
    })

    test('deriveToken (@authenticated) is refused whole with 401', async () => {
      const { result } = await expectRefused(server, () => server.gql(DERIVE, { token: null, variables: { input: { name: 'x', scopes: ['tokens:read'] } } }), 'UNAUTHENTICATED')
      assert.equal(result.status, 401)
    })
  })
})
