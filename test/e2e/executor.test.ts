import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { loadConfig } from '../../src/config.js'
import { ScopewardError } from '../../src/errors.js'
import { createApp, issue, startServer, type GraphQLResult, type TestServer } from './harness.js'

// /graphql with graphql-jit (the default) against the same server with SCOPEWARD_EXECUTOR=graphql-js,
// both on one database: every answer (status, body text, authorization headers) must be the same.

const HEADERS = ['content-type', 'x-accepted-oauth-scopes', 'x-oauth-scopes', 'www-authenticate']

describe('the GraphQL executor', () => {
  let jit: TestServer
  let reference: TestServer
  let reader: string
  let narrow: string
  let appId: string
  before(async () => {
    jit = await startServer({ keep: true })
    reference = await startServer({ dbPath: jit.dbPath, rootToken: jit.rootToken, env: { SCOPEWARD_EXECUTOR: 'graphql-js' } })
    const app = await createApp(jit, { allowedScopes: ['tokens:read', 'apps:read', 'scopes:read', 'audit:read'] })
    appId = app.id
    reader = (await issue(jit, { appId, name: 'reader', scopes: ['tokens:read', 'apps:read', 'scopes:read', 'audit:read'] })).secret
    narrow = (await issue(jit, { appId, name: 'narrow', scopes: ['tokens:read'] })).secret
    for (let i = 0; i < 3; i++) await issue(jit, { appId, name: `t${i}`, scopes: ['tokens:read'] })
  })
  after(async () => {
    await reference.stop()
    await jit.stop()
    await jit.discard()
  })

  /**
   * The same request to both servers, twice to the JIT one (an operation is compiled at its second
   * use): each answer must match graphql-js's byte for byte (body) and header for header.
   */
  async function same(query: string, options: { token?: string | null; variables?: Record<string, unknown> } = {}): Promise<GraphQLResult> {
    const b = await ask(reference, query, options)
    for (const use of ['first', 'second']) {
      const a = await ask(jit, query, options)
      assert.equal(a.status, b.status, `status of ${query} (${use} use)`)
      assert.equal(a.text, b.text, `body of ${query} (${use} use)`)
      for (const h of HEADERS) assert.equal(a.headers.get(h), b.headers.get(h), `${h} of ${query} (${use} use)`)
    }
    return { status: b.status, headers: b.headers, body: JSON.parse(b.text) }
  }

  test('answers a set of queries as graphql-js does, and runs them compiled', async () => {
    const compiledBefore = jit.app.jit?.stats.compiled ?? 0
    const queries = [
      '{ tokens(first: 20) { edges { node { id name scopes createdAt expiresAt app { id name } } } } }',
      '{ tokens(first: 2) { totalCount edges { cursor node { id status kind subject } } pageInfo { hasNextPage endCursor } } }',
      '{ viewer { id name scopes app { id allowedScopes isRoot } } }',
      '{ a: viewer { ...T } b: viewer { id } } fragment T on Token { id name app { name } }',
      '{ scopes { name } apps(first: 5) { edges { node { id name createdAt } } } }',
      '{ token(id: "tok_nope") { id } }',
      '{ app(id: "nope") { id } }',
      '{ auditEvents(first: 3) { edges { node { id action target details } } } }',
      '{ __typename scopeRequirements { coordinate } }',
      '{ requiredScopes(document: "{ tokens { totalCount } }") }',
    ]
    for (const query of queries) await same(query, { token: reader })
    assert.equal((jit.app.jit?.stats.compiled ?? 0) - compiledBefore, queries.length, 'the JIT server ran each compiled at its second use')
  })

  test('answers a resolver error (BAD_USER_INPUT at its path) as graphql-js does', async () => {
    const result = await same('{ tokens(first: -1) { edges { node { id } } } }', { token: reader })
    assert.equal(result.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT')
    assert.deepEqual(result.body.errors?.[0]?.path, ['tokens'])
  })

  test('filters a denied field with null and FORBIDDEN at its path, as graphql-js does', async () => {
    const result = await same('{ tokens(first: 1) { totalCount } apps(first: 1) { totalCount } scopes { name } }', { token: narrow })
    assert.deepEqual(result.body.data, { tokens: { totalCount: 5 }, apps: null, scopes: null })
    assert.deepEqual(
      result.body.errors?.map((e) => [e.path, e.extensions?.code]),
      [
        [['apps'], 'FORBIDDEN'],
        [['scopes'], 'FORBIDDEN'],
      ],
    )
  })

  test('a compiled run is counted by the metrics plugin: its outcome and each denied field', async () => {
    const metric = async (pattern: RegExp): Promise<number> => Number(pattern.exec(await (await fetch(`${jit.url}/metrics`)).text())?.[1] ?? 0)
    const denials = /^scopeward_authorization_denials_total\{field="Query\.apps"\} (\d+)$/m
    const partial = /^scopeward_graphql_operations_total\{operation="query apps",outcome="forbidden"\} (\d+)$/m
    const query = '{ apps(first: 1) { totalCount } }'
    await ask(jit, query, { token: narrow })
    const [denialsBefore, partialBefore, compiledBefore] = [await metric(denials), await metric(partial), jit.app.jit?.stats.compiled ?? 0]
    await ask(jit, query, { token: narrow })
    assert.equal((jit.app.jit?.stats.compiled ?? 0) - compiledBefore, 1, 'the second run was compiled')
    assert.equal(await metric(denials), denialsBefore + 1)
    assert.equal(await metric(partial), partialBefore + 1)
  })

  test('refuses a mutation with a denied field whole (403), as graphql-js does, and writes nothing', async () => {
    const before = await jit.app.store.countTokens({ now: Date.now() })
    const result = await same('mutation { issueToken(input: { name: "x", scopes: ["tokens:read"] }) { secret } }', { token: narrow })
    assert.equal(result.status, 403)
    assert.equal(await jit.app.store.countTokens({ now: Date.now() }), before)
  })

  test('answers 400 BAD_USER_INPUT for variables that do not coerce, as graphql-js does', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['query ($n: Int) { tokens(first: $n) { totalCount } }', { n: 'twenty' }],
      ['query ($n: Int!) { tokens(first: $n) { totalCount } }', {}],
      ['query ($id: ID!) { token(id: $id) { id } }', { id: { $gt: '' } }],
      ['query ($s: TokenStatus) { tokens(status: $s) { totalCount } }', { s: 'NOT_A_STATUS' }],
    ]
    for (const [query, variables] of cases) {
      const result = await same(query, { token: reader, variables })
      assert.equal(result.status, 400, query)
      assert.equal(result.body.data, undefined)
      assert.deepEqual(
        result.body.errors?.map((e) => e.extensions?.code),
        [`BAD_USER_INPUT`],
        JSON.stringify(result.body),
      )
    }
  })

  test('answers several operations in one document, chosen by operationName, as graphql-js does', async () => {
    const document = 'query Mine { viewer { name } } query Count { tokens(first: 1) { totalCount } }'
    const mine = await same(document, { token: reader, variables: {} })
    assert.equal(mine.status, 400, 'no operationName: graphql-js refuses')
    for (const operationName of ['Mine', 'Count', 'Mine', 'Count']) {
      const a = await askNamed(jit, document, operationName, reader)
      const b = await askNamed(reference, document, operationName, reader)
      assert.equal(a.status, 200)
      assert.equal(a.text, b.text)
    }
    assert.match((await askNamed(jit, document, 'Mine', reader)).text, /"name":"reader"/)
    assert.match((await askNamed(jit, document, 'Count', reader)).text, /"totalCount":5/)
  })

  test('answers @skip and @include (run by graphql-js) as graphql-js does', async () => {
    for (const x of [true, false]) await same('query ($x: Boolean!) { viewer { id name @include(if: $x) scopes @skip(if: $x) } }', { token: reader, variables: { x } })
  })
})

describe('SCOPEWARD_EXECUTOR', () => {
  test('defaults to jit and accepts graphql-js', () => {
    assert.equal(loadConfig({}, {}).executor, 'jit')
    assert.equal(loadConfig({}, { SCOPEWARD_EXECUTOR: 'jit' }).executor, 'jit')
    assert.equal(loadConfig({}, { SCOPEWARD_EXECUTOR: 'graphql-js' }).executor, 'graphql-js')
  })

  test('refuses any other value, naming the setting and the choices', () => {
    for (const value of ['JIT', 'graphql', 'none', ' jit']) {
      assert.throws(
        () => loadConfig({}, { SCOPEWARD_EXECUTOR: value }),
        (error: unknown) => error instanceof ScopewardError && /SCOPEWARD_EXECUTOR/.test(error.message) && /jit or graphql-js/.test(error.message),
      )
    }
  })
})

async function ask(server: TestServer, query: string, options: { token?: string | null; variables?: Record<string, unknown> }) {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
    body: JSON.stringify({ query, variables: options.variables }),
  })
  return { status: res.status, headers: res.headers, text: await res.text() }
}

async function askNamed(server: TestServer, query: string, operationName: string, token: string) {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, operationName }),
  })
  return { status: res.status, text: await res.text() }
}
