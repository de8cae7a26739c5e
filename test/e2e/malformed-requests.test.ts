// Malformed requests and bad inputs: a 4xx naming the problem, never a 5xx or a stack trace, and nothing changed.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { auditCount, CREATE_APP, createApp, dataOf, ISSUE, issue, startServer, tokenCount, type TestServer } from './harness.js'
import { expectRefused, post } from './refusal.js'

/** No internals in a response: no stack trace, no file path, no masked-error leak. */
function assertNoInternals(text: string): void {
  assert.doesNotMatch(text, /stacktrace/i)
  assert.doesNotMatch(text, /at \//)
  assert.doesNotMatch(text, /node_modules|\/work\/|\.ts:\d+/)
}

describe('malformed requests', () => {
  let server: TestServer
  let app: { id: string }

  before(async () => {
    server = await startServer()
    app = await createApp(server, { name: 'a', allowedScopes: ['tokens:write'] })
  })
  after(() => server.stop())

  const auth = () => ({ authorization: `Bearer ${server.rootToken}` })

  const bodies: [string, string, number][] = [
    ['invalid JSON', '{"query": ', 400],
    ['an empty body', '', 400],
    ['a JSON array', '[{"query":"{ viewer { id } }"}]', 400],
    ['a JSON string', '"{ viewer { id } }"', 400],
    ['JSON null', 'null', 400],
    ['a JSON number', '42', 400],
    ['an object without query', '{"variables":{}}', 400],
    ['a query that is not a string', '{"query": 42}', 400],
    ['a query that is an object', '{"query": {"kind":"Document"}}', 400],
    ['a GraphQL syntax error', '{"query": "{ viewer { id "}', 400],
    ['an unknown field', '{"query": "{ viewer { password } }"}', 400],
    ['variables that are not an object', '{"query": "query($id: ID!) { token(id: $id) { id } }", "variables": "x"}', 400],
    ['variables of the wrong type', '{"query": "query($f: Int) { tokens(first: $f) { totalCount } }", "variables": {"f": "ten"}}', 400],
    ['a missing required variable', '{"query": "query($id: ID!) { token(id: $id) { id } }"}', 400],
    ['an unknown operation name', '{"query": "query A { viewer { id } }", "operationName": "B"}', 400],
    ['two operations without an operation name', '{"query": "query A { viewer { id } } query B { viewer { id } }"}', 400],
    ['a deeply nested query', JSON.stringify({ query: `{ ${'viewer { parent { '.repeat(200)}id${' } }'.repeat(200)} }` }), 400],
  ]
  for (const [name, body, status] of bodies) {
    test(`answers ${name} with ${status} and no internals`, async () => {
      const audits = await auditCount(server)
      const res = await post(server, body, auth())
      assert.equal(res.status, status, res.text)
      assertNoInternals(res.text)
      assert.ok(Array.isArray(res.json?.errors) && res.json.errors.length > 0, res.text)
      assert.equal(await auditCount(server), audits)
    })
  }

  test('answers a mutation with invalid JSON without running it, with or without a token', async () => {
    for (const headers of [auth(), {}]) {
      const tokens = await tokenCount(server)
      const res = await post(server, `{"query": "mutation { issueToken(input: {name: \\"x\\", scopes: [\\"tokens:read\\"]}) { secret } }",`, headers)
      assert.ok(res.status === 400 || res.status === 401, res.text)
      assert.equal(await tokenCount(server), tokens)
    }
  })

  test('refuses a body over 100 KB with 413 and no internals', async () => {
    const res = await post(server, JSON.stringify({ query: `{ viewer { id } }${' '.repeat(101 * 1024)}` }), auth())
    assert.equal(res.status, 413)
    assertNoInternals(res.text)
  })

  test('accepts a body just under the limit', async () => {
    // The padding rides in an unused variable: the query text itself has a tighter limit of its own.
    const res = await post(server, JSON.stringify({ query: '{ viewer { id } }', variables: { pad: 'x'.repeat(90 * 1024) } }), auth())
    assert.equal(res.status, 200, res.text)
  })

  test('refuses a mutation over GET with 405 and runs nothing', async () => {
    const tokens = await tokenCount(server)
    const audits = await auditCount(server)
    const query = `mutation { issueToken(input: { appId: "${app.id}", name: "x", scopes: ["tokens:read"] }) { secret } }`
    const res = await fetch(`${server.url}/graphql?query=${encodeURIComponent(query)}`, { headers: { ...auth(), 'apollo-require-preflight': 'true' } })
    const text = await res.text()
    assert.equal(res.status, 405, text)
    assertNoInternals(text)
    assert.equal(await tokenCount(server), tokens)
    assert.equal(await auditCount(server), audits)
  })

  test('answers a query over GET', async () => {
    const res = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ viewer { id } }')}`, { headers: { ...auth(), 'apollo-require-preflight': 'true' } })
    assert.equal(res.status, 200)
  })

  test('refuses a text/plain POST (a CSRF "simple request") and runs nothing', async () => {
    const tokens = await tokenCount(server)
    const query = `mutation { issueToken(input: { appId: "${app.id}", name: "x", scopes: ["tokens:read"] }) { secret } }`
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await post(server, JSON.stringify({ query }), { ...auth(), 'content-type': contentType })
      assert.equal(res.status, 400, `${contentType}: ${res.text}`)
      assertNoInternals(res.text)
    }
    assert.equal(await tokenCount(server), tokens)
  })

  test('answers unknown routes and methods without a 5xx', async () => {
    for (const [method, path, status] of [
      ['GET', '/nope', 404],
      ['PUT', '/graphql', 405],
      ['DELETE', '/graphql', 405],
    ] as const) {
      const res = await fetch(`${server.url}${path}`, { method })
      assert.equal(res.status, status)
      assertNoInternals(await res.text())
    }
  })

  test('answers an operation type the schema lacks (subscription) with 400 OPERATION_RESOLUTION_FAILURE, not a 500', async () => {
    for (const token of [server.rootToken, null]) {
      const res = await server.gql('subscription { tokens { totalCount } }', { token })
      assert.equal(res.status, 400, JSON.stringify(res.body))
      assert.deepEqual(
        res.body.errors?.map((e) => e.extensions?.code),
        ['OPERATION_RESOLUTION_FAILURE'],
      )
      assert.match(res.body.errors?.[0]?.message ?? '', /not configured to execute subscription/)
    }
  })

  describe('bad inputs to mutations', () => {
    const issueWith = (input: Record<string, unknown>) => server.gql(ISSUE, { variables: { input: { appId: app.id, name: 'x', scopes: ['tokens:read'], ...input } } })

    test('a valid input is accepted (the control case)', async () => {
      await issue(server, { appId: app.id, scopes: ['tokens:read'], expiresIn: 'PT15M' })
    })

    for (const name of ['', '   ', 'a\u0000b', 'line\nbreak', 'tab\there', 'esc\u001b[31m', 'del\u007f', 'x'.repeat(201)]) {
      test(`refuses the token name ${JSON.stringify(name.slice(0, 12))} naming the field name`, async () => {
        const { error } = await expectRefused(server, () => issueWith({ name }), 'BAD_USER_INPUT')
        assert.equal(error.extensions?.field, 'name')
      })
    }

    for (const name of ['', 'bad\rname']) {
      test(`createApp refuses the app name ${JSON.stringify(name)} naming the field name`, async () => {
        const { error } = await expectRefused(server, () => server.gql(CREATE_APP, { variables: { input: { name, allowedScopes: ['tokens:read'] } } }), 'BAD_USER_INPUT')
        assert.equal(error.extensions?.field, 'name')
      })
    }

    for (const expiresIn of ['P', 'PT', 'PT-5M', '15 minutes', 'P1.5D', 'PT0S', 'P0D', '-P1D', 'p1d', 'P1DT', 'P200Y', '', 900, ['P1D'], { days: 1 }]) {
      test(`refuses the duration ${JSON.stringify(expiresIn)} naming expiresIn`, async () => {
        const { error } = await expectRefused(server, () => issueWith({ expiresIn }), 'BAD_USER_INPUT')
        assert.equal(error.extensions?.field, 'expiresIn')
      })
    }

    test('refuses a bad duration in createApp naming maxTokenLifetime, and creates no app', async () => {
      const apps = dataOf(await server.gql('{ apps { totalCount } }')).apps.totalCount
      const { error } = await expectRefused(
        server,
        () => server.gql(CREATE_APP, { variables: { input: { name: 'x', allowedScopes: ['tokens:read'], maxTokenLifetime: 'forever' } } }),
        'BAD_USER_INPUT',
      )
      assert.equal(error.extensions?.field, 'maxTokenLifetime')
      assert.equal(dataOf(await server.gql('{ apps { totalCount } }')).apps.totalCount, apps)
    })

    test('refuses expiresIn together with noExpiry naming noExpiry', async () => {
      const { error } = await expectRefused(server, () => issueWith({ expiresIn: 'P1D', noExpiry: true }), 'BAD_USER_INPUT')
      assert.equal(error.extensions?.field, 'noExpiry')
    })

    test('refuses scopes together with forOperations naming forOperations', async () => {
      const { error } = await expectRefused(server, () => issueWith({ forOperations: ['{ viewer { id } }'] }), 'BAD_USER_INPUT')
      assert.equal(error.extensions?.field, 'forOperations')
    })

    test('refuses an unparsable forOperations document naming its index, and issues for a parsable one', async () => {
      const { error } = await expectRefused(server, () => issueWith({ scopes: null, forOperations: ['{ tokens { totalCount } }', '{ nope'] }), 'BAD_USER_INPUT')
      assert.equal(error.extensions?.field, 'forOperations[1]')
      const ok = dataOf(await issueWith({ scopes: null, forOperations: ['{ tokens { totalCount } }'] }))
      assert.deepEqual(ok.issueToken.token.scopes, ['tokens:read'])
    })
  })

  describe('bad pagination arguments', () => {
    for (const first of [0, -1, 101, 1000]) {
      test(`refuses first: ${first} naming first`, async () => {
        const { error } = await expectRefused(server, () => server.gql('query($f: Int) { tokens(first: $f) { totalCount } }', { variables: { f: first } }), 'BAD_USER_INPUT')
        assert.equal(error.extensions?.field, 'first')
        assert.deepEqual(error.path, ['tokens'])
      })
    }

    test('accepts first: 1 and first: 100', async () => {
      for (const f of [1, 100]) dataOf(await server.gql('query($f: Int) { tokens(first: $f) { totalCount } }', { variables: { f } }))
    })

    for (const after of [
      'garbage',
      '',
      Buffer.from('abc').toString('base64url'),
      Buffer.from('1:').toString('base64url'),
      Buffer.from("1:abc' OR 1=1").toString('base64url'),
      Buffer.from('seq:1').toString('base64url'),
    ]) {
      test(`refuses the cursor ${JSON.stringify(after)} naming after`, async () => {
        for (const field of ['tokens', 'apps']) {
          const { error } = await expectRefused(server, () => server.gql(`query($a: String) { ${field}(after: $a) { totalCount } }`, { variables: { a: after } }), 'BAD_USER_INPUT')
          assert.equal(error.extensions?.field, 'after')
        }
      })
    }

    test('refuses a token cursor given to the audit log naming after', async () => {
      const cursor = dataOf(await server.gql('{ tokens(first: 1) { pageInfo { endCursor } } }')).tokens.pageInfo.endCursor
      const { error } = await expectRefused(server, () => server.gql('query($a: String) { auditEvents(after: $a) { totalCount } }', { variables: { a: cursor } }), 'BAD_USER_INPUT')
      assert.equal(error.extensions?.field, 'after')
    })
  })
})
