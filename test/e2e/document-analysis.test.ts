// Issues 11 and 18, the directive engine's side: every document a client sends, wherever it
// arrives, is analysed in bounded time under the same limits; discovery is not an oracle; denial
// yields partial data; issueToken(forOperations) grants what actually runs the documents.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { onlyError, expectRefused } from './refusal.js'
import { createApp, dataOf, issue, ISSUE, startServer, type TestServer } from './harness.js'

/** `...F30` where each F(i) spreads F(i-1) twice: 2^30 copies of `leaf` once expanded, in ~1.3 kB. */
export function exponentialDocument(levels: number, leaf = '__typename'): string {
  const parts = [`fragment F0 on Query { ${leaf} }`]
  for (let i = 1; i <= levels; i++) parts.push(`fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`)
  return `query Blowup { ...F${levels} } ${parts.join(' ')}`
}

describe('document analysis', () => {
  let server: TestServer
  before(async () => {
    server = await startServer()
  })
  after(async () => {
    await server.stop()
  })

  const BOMB = exponentialDocument(30)

  test('11.3 a 2^30-expansion document is refused through /graphql, without a token', async () => {
    assert.ok(BOMB.length < 2000, 'the attack is small')
    for (const leaf of ['__typename', 'viewer { id }', 'a: __typename @include(if: true)']) {
      const result = await server.gql(exponentialDocument(30, leaf), { token: null })
      assert.equal(result.status, 400)
      assert.equal(result.body.data, undefined)
      assert.ok(
        result.body.errors?.every((e) => e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED'),
        JSON.stringify(result.body),
      )
    }
    // The same shape, small enough for every limit, still runs.
    assert.deepEqual(dataOf(await server.gql(exponentialDocument(3), { token: null })), { __typename: 'Query' })
  })

  test('11.3 a 2^30-expansion document is refused through requiredScopes(document)', async () => {
    const result = await server.gql('query($d: String!) { requiredScopes(document: $d) }', { variables: { d: BOMB } })
    const error = onlyError(result, 'BAD_USER_INPUT')
    assert.equal(error.extensions?.field, 'document')
    assert.match(error.message, /limit/)
  })

  test('11.3 a 2^30-expansion document is refused through issueToken(forOperations), and nothing is written', async () => {
    const { error } = await expectRefused(server, () => server.gql(ISSUE, { variables: { input: { name: 'bomb', forOperations: ['{ viewer { id } }', BOMB] } } }), 'BAD_USER_INPUT')
    assert.equal(error.extensions?.field, 'forOperations[1]')
    assert.match(error.message, /limit/)
  })

  test('11.3 documents inside arguments meet the same parser limits as /graphql', async () => {
    const limited = await startServer({ env: { SCOPEWARD_MAX_TOKENS: '50', SCOPEWARD_MAX_QUERY_LENGTH: '200', SCOPEWARD_MAX_DEPTH: '4' } })
    try {
      const cases: [string, RegExp][] = [
        [`{ ${'x '.repeat(60)}}`, /tokens/i],
        [`{ viewer { id } } ${' '.repeat(300)}`, /characters; the limit is 200/],
        ['{ tokens { edges { node { app { id } } } } }', /depth/i],
      ]
      for (const [document, message] of cases) {
        const direct = onlyError(await limited.gql('query($d: String!) { requiredScopes(document: $d) }', { variables: { d: document } }), 'BAD_USER_INPUT')
        assert.match(direct.message, message)
        const { error } = await expectRefused(limited, () => limited.gql(ISSUE, { variables: { input: { name: 'x', forOperations: [document] } } }), 'BAD_USER_INPUT')
        assert.match(error.message, message)
        assert.equal(error.extensions?.field, 'forOperations[0]')
      }
    } finally {
      await limited.stop()
    }
  })

  test('11.19 a denied field yields partial data: { viewer apps } with a tokens:read token keeps viewer', async () => {
    const reader = await issue(server, { scopes: ['tokens:read'] })
    const result = await server.gql('{ viewer { id } apps { totalCount } tokens { totalCount } }', { token: reader.secret })
    assert.equal(result.status, 200)
    assert.equal(result.body.data?.viewer?.id, reader.id)
    assert.equal(result.body.data?.apps, null)
    assert.equal(typeof result.body.data?.tokens?.totalCount, 'number')
    const error = onlyError(result, 'FORBIDDEN')
    assert.deepEqual(error.path, ['apps'])
    assert.deepEqual(error.extensions?.missingScopes, ['apps:read'])
  })

  test('11.19 a denied nested field (App.tokens) nulls only itself', async () => {
    const app = await createApp(server, { name: 'nested', allowedScopes: ['apps:read', 'tokens:read'] })
    const appsReader = await issue(server, { appId: app.id, scopes: ['apps:read'] })
    const result = await server.gql(`{ app(id: "${app.id}") { id name tokens { totalCount } } }`, { token: appsReader.secret })
    assert.deepEqual(result.body.data, { app: { id: app.id, name: 'nested', tokens: null } })
    assert.deepEqual(onlyError(result, 'FORBIDDEN').path, ['app', 'tokens'])
  })

  test('11.15 scopeRequirements and requiredScopes need a token by default', async () => {
    const result = await server.gql('{ scopeRequirements { coordinate } requiredScopes(document: "{ tokens { totalCount } }") }', { token: null })
    assert.equal(result.status, 200)
    assert.deepEqual(result.body.data, { scopeRequirements: null, requiredScopes: null })
    assert.deepEqual(result.body.errors?.map((e) => [e.extensions?.code, e.path?.join('.')]).sort(), [
      ['UNAUTHENTICATED', 'requiredScopes'],
      ['UNAUTHENTICATED', 'scopeRequirements'],
    ])
    const reader = await issue(server, { scopes: ['tokens:read'] })
    const data = dataOf(await server.gql('{ scopeRequirements { coordinate } requiredScopes(document: "{ tokens { totalCount } }") }', { token: reader.secret }))
    assert.ok(data.scopeRequirements.some((r: { coordinate: string }) => r.coordinate === 'Query.tokens'))
    assert.deepEqual(data.requiredScopes, [['tokens:read']])
  })

  test('11.15 requiredScopes is no existence oracle: a field that does not exist is an error, not []', async () => {
    const error = onlyError(await server.gql('{ requiredScopes(document: "{ secretAdminField }") }'), 'BAD_USER_INPUT')
    assert.equal(error.extensions?.field, 'document')
    assert.match(error.message, /Cannot query field "secretAdminField"/)
  })

  test('11.15 SCOPEWARD_PUBLIC_SCOPE_REQUIREMENTS=true opens them to callers without a token', async () => {
    const open = await startServer({ env: { SCOPEWARD_PUBLIC_SCOPE_REQUIREMENTS: 'true' } })
    try {
      const data = dataOf(await open.gql('{ scopeRequirements { coordinate } requiredScopes(document: "{ apps { totalCount } }") }', { token: null }))
      assert.ok(data.scopeRequirements.length > 0)
      assert.deepEqual(data.requiredScopes, [['apps:read']])
    } finally {
      await open.stop()
    }
  })

  test('11.15 with introspection off, no error suggests a field, argument, type, input field or enum value', async () => {
    const closed = await startServer({ env: { NODE_ENV: 'production' } })
    try {
      const attempts: [string, Record<string, unknown>?][] = [
        ['{ viewr { id } }'],
        ['{ tokens(frist: 1) { totalCount } }'],
        ['{ tokens(status: ACTIV) { totalCount } }'],
        ['query($s: TokenStatus) { tokens(status: $s) { totalCount } }', { s: 'ACTIV' }],
        ['query($s: TokenStatuss) { tokens(status: $s) { totalCount } }'],
        ['mutation { issueToken(input: {nam: "x", scopes: []}) { secret } }'],
        ['query($d: String!) { requiredScopes(document: $d) }', { d: '{ tokens(status: ACTIV) { totalCount } viewr { id } }' }],
        ['query($d: String!) { requiredScopes(document: $d) }', { d: '{ token(id: "x") { nmae } }' }],
      ]
      for (const [query, variables] of attempts) {
        const result = await closed.gql(query, variables ? { variables } : {})
        assert.ok(result.body.errors?.length, `${query}: expected an error`)
        assert.doesNotMatch(JSON.stringify(result.body), /Did you mean|"ACTIVE"|"viewer"|"first"|"TokenStatus"|"name"/, query)
      }
    } finally {
      await closed.stop()
    }
    // Outside production the same typo is still helped.
    assert.match((await server.gql('{ tokens(status: ACTIV) { totalCount } }')).body.errors?.[0]?.message ?? '', /Did you mean the enum value "ACTIVE"/)
  })

  const issueFor = (forOperations: string[], token?: string) => server.gql(ISSUE, { token, variables: { input: { name: 'for-operations', forOperations } } })

  test('18.11 forOperations for read + revoke documents grants tokens:write alone (it implies tokens:read)', async () => {
    const data = dataOf(await issueFor(['{ tokens { totalCount } }', 'mutation { revokeToken(id: "Zz9Zz9Zz9Zz9Zz9Z") { id } }']))
    assert.deepEqual(data.issueToken.token.scopes, ['tokens:write'])
    // Every operation of a document must run, not just one.
    const both = dataOf(await issueFor(['query A { tokens { totalCount } } query B { apps { totalCount } }']))
    assert.deepEqual(both.issueToken.token.scopes, ['apps:read', 'tokens:read'])
  })

  test('18.11 { viewer { id } } is not refused as "needs no token": it needs a token, but no scope', async () => {
    const { error } = await expectRefused(server, () => issueFor(['{ viewer { id } }']), 'BAD_USER_INPUT')
    assert.match(error.message, /need a valid token but no particular scope/)
    const nothing = await expectRefused(server, () => issueFor(['{ __typename }']), 'BAD_USER_INPUT')
    assert.match(nothing.error.message, /need no token at all/)
    // Beside an operation that needs a scope, viewer adds nothing.
    assert.deepEqual(dataOf(await issueFor(['{ viewer { id } }', '{ apps { totalCount } }'])).issueToken.token.scopes, ['apps:read'])
  })

  test('18.11 a mutation whose arguments name scopes gets a token that can run it', async () => {
    const document = 'mutation { issueToken(input: {name: "child", scopes: ["apps:read", "audit:read"]}) { token { scopes } } }'
    const data = dataOf(await issueFor([document]))
    assert.deepEqual(data.issueToken.token.scopes, ['apps:read', 'audit:read', 'tokens:write'])
    const ran = dataOf(await server.gql(document, { token: data.issueToken.secret }))
    assert.deepEqual(ran.issueToken.token.scopes, ['apps:read', 'audit:read'])
    // Through a fragment, and for derive: the same.
    const derive = dataOf(await issueFor(['mutation { ...D } fragment D on Mutation { deriveToken(input: {name: "d", scopes: ["keys:read"]}) { secret } }']))
    assert.deepEqual(derive.issueToken.token.scopes, ['keys:read'])
  })

  test('18.11 scopes a mutation grants that its own rule implies add nothing: issuing tokens:read needs tokens:write alone', async () => {
    const data = dataOf(await issueFor(['mutation { issueToken(input: {name: "c", scopes: ["tokens:read"]}) { secret } }', '{ tokens { totalCount } }']))
    assert.deepEqual(data.issueToken.token.scopes, ['tokens:write'])
  })

  test('18.11 createClientSecret(scopes:) gets the scopes its ceiling names, and the token runs it', async () => {
    const document = 'mutation { createClientSecret(appId: "root", scopes: ["audit:read"]) { scopes } }'
    const data = dataOf(await issueFor([document]))
    assert.deepEqual(data.issueToken.token.scopes, ['apps:write', 'audit:read'])
    assert.deepEqual(dataOf(await server.gql(document, { token: data.issueToken.secret })).createClientSecret.scopes, ['audit:read'])
  })

  test('18.11 rotateToken needs the scopes of the token it rotates, unknown from the document: refused saying so, nothing written', async () => {
    const { error } = await expectRefused(server, () => issueFor(['{ viewer { id } }', 'mutation { rotateToken(id: "Zz9Zz9Zz9Zz9Zz9Z") { secret } }']), 'BAD_USER_INPUT')
    assert.equal(error.extensions?.field, 'forOperations[1]')
    assert.match(error.message, /rotateToken needs every scope of the token it rotates.*give scopes instead/)
  })

  test('18.11 scopes that come from variables cannot be known: refused naming the variable, nothing written', async () => {
    for (const document of [
      'mutation($input: IssueTokenInput!) { issueToken(input: $input) { secret } }',
      'mutation($s: String!) { issueToken(input: {name: "x", scopes: ["apps:read", $s]}) { secret } }',
    ]) {
      const { error } = await expectRefused(server, () => issueFor([document]), 'BAD_USER_INPUT')
      assert.equal(error.extensions?.field, 'forOperations[0]')
      assert.match(error.message, /variable \$(input|s)/)
    }
  })
})
