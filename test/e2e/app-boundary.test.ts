// App and subject boundaries: another app's (or subject's) rows answer exactly as rows that do not exist.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createApp, dataOf, ISSUE, issue, REVOKE, ROTATE, startServer, type TestServer } from './harness.js'
import { expectRefused } from './refusal.js'

const UNKNOWN_ID = 'Zz9Zz9Zz9Zz9Zz9Z'

describe('app boundary', () => {
  let server: TestServer
  let appA: { id: string }
  let appB: { id: string }
  let tokenA: { secret: string; id: string }
  let tokenB: { secret: string; id: string }

  before(async () => {
    server = await startServer()
    appA = await createApp(server, { name: 'a', allowedScopes: ['apps:read', 'tokens:write'] })
    appB = await createApp(server, { name: 'b', allowedScopes: ['apps:read', 'tokens:write'] })
    tokenA = await issue(server, { appId: appA.id, scopes: ['apps:read', 'tokens:write'] })
    tokenB = await issue(server, { appId: appB.id, scopes: ['apps:read', 'tokens:write'] })
  })
  after(() => server.stop())

  test('apps lists only the caller app; root lists every app', async () => {
    const own = dataOf(await server.gql('{ apps { totalCount edges { node { id } } } }', { token: tokenA.secret })).apps
    assert.deepEqual(own, { totalCount: 1, edges: [{ node: { id: appA.id } }] })
    const all = dataOf(await server.gql('{ apps { totalCount edges { node { id } } } }')).apps
    assert.deepEqual(new Set(all.edges.map((e: any) => e.node.id)), new Set(['root', appA.id, appB.id]))
    assert.equal(all.totalCount, 3)
  })

  test('app(id) answers another app as null, exactly like an unknown id', async () => {
    const q = 'query($id: ID!) { app(id: $id) { id } }'
    assert.deepEqual(dataOf(await server.gql(q, { token: tokenA.secret, variables: { id: appA.id } })).app, { id: appA.id })
    const foreign = await server.gql(q, { token: tokenA.secret, variables: { id: appB.id } })
    const unknown = await server.gql(q, { token: tokenA.secret, variables: { id: 'app_nope' } })
    const root = await server.gql(q, { token: tokenA.secret, variables: { id: 'root' } })
    for (const r of [foreign, unknown, root]) assert.deepEqual(r.body, { data: { app: null } })
  })

  test('tokens lists only the caller app, even when another appId is asked for', async () => {
    const q = 'query($appId: ID) { tokens(appId: $appId, first: 100) { totalCount edges { node { id app { id } } } } }'
    const own = dataOf(await server.gql(q, { token: tokenA.secret })).tokens
    assert.ok(own.edges.length > 0)
    assert.ok(own.edges.every((e: any) => e.node.app.id === appA.id))
    assert.equal(own.totalCount, own.edges.length)
    assert.deepEqual(dataOf(await server.gql(q, { token: tokenA.secret, variables: { appId: appB.id } })).tokens, { totalCount: 0, edges: [] })
    const all = dataOf(await server.gql(q)).tokens
    assert.ok(all.edges.some((e: any) => e.node.id === tokenB.id))
    assert.ok(all.edges.some((e: any) => e.node.id === tokenA.id))
  })

  test("token(id) answers another app's token as null, exactly like an unknown id", async () => {
    const q = 'query($id: ID!) { token(id: $id) { id } }'
    assert.deepEqual(dataOf(await server.gql(q, { token: tokenA.secret, variables: { id: tokenA.id } })).token, { id: tokenA.id })
    const foreign = await server.gql(q, { token: tokenA.secret, variables: { id: tokenB.id } })
    const unknown = await server.gql(q, { token: tokenA.secret, variables: { id: UNKNOWN_ID } })
    assert.deepEqual(foreign.body, { data: { token: null } })
    assert.deepEqual(unknown.body, foreign.body)
    assert.equal(foreign.status, unknown.status)
    assert.deepEqual(dataOf(await server.gql(q, { variables: { id: tokenB.id } })).token, { id: tokenB.id })
  })

  test('a root token issued by root is not reachable through createdBy from another app', async () => {
    const q = 'query($id: ID!) { token(id: $id) { id createdBy { id } } }'
    assert.deepEqual(dataOf(await server.gql(q, { token: tokenA.secret, variables: { id: tokenA.id } })).token, { id: tokenA.id, createdBy: null })
  })

  for (const [name, mutation, vars] of [
    ['revokeToken', REVOKE, {}],
    ['rotateToken', ROTATE, {}],
  ] as const) {
    test(`${name} on another app's token is NOT_FOUND with the same shape as an unknown id, and the token still works`, async () => {
      const foreign = await expectRefused(server, () => server.gql(mutation, { token: tokenA.secret, variables: { ...vars, id: tokenB.id } }), 'NOT_FOUND')
      const unknown = await expectRefused(server, () => server.gql(mutation, { token: tokenA.secret, variables: { ...vars, id: UNKNOWN_ID } }), 'NOT_FOUND')
      assert.equal(foreign.error.message.replace(tokenB.id, 'ID'), unknown.error.message.replace(UNKNOWN_ID, 'ID'))
      assert.deepEqual(Object.keys(foreign.error).sort(), Object.keys(unknown.error).sort())
      assert.deepEqual(foreign.error.extensions, unknown.error.extensions)
      assert.equal(foreign.result.status, unknown.result.status)
      assert.deepEqual(dataOf(await server.gql('{ viewer { id status } }', { token: tokenB.secret })).viewer, { id: tokenB.id, status: 'ACTIVE' })
    })
  }

  test('updateApp and disableApp on another app are NOT_FOUND and change nothing', async () => {
    const manager = await issue(server, { appId: appA.id, scopes: ['tokens:write'] })
    const appWriter = await createApp(server, { name: 'c', allowedScopes: ['apps:write'] })
    const own = await issue(server, { appId: appWriter.id, scopes: ['apps:write'] })
    await expectRefused(server, () => server.gql('mutation($id: ID!) { disableApp(id: $id) { id } }', { token: own.secret, variables: { id: appB.id } }), 'NOT_FOUND')
    await expectRefused(
      server,
      () => server.gql('mutation($id: ID!) { updateApp(id: $id, input: { name: "pwned" }) { id } }', { token: own.secret, variables: { id: appB.id } }),
      'NOT_FOUND',
    )
    const b = dataOf(await server.gql('query($id: ID!) { app(id: $id) { name disabledAt } }', { variables: { id: appB.id } })).app
    assert.deepEqual(b, { name: 'b', disabledAt: null })
    assert.deepEqual(dataOf(await server.gql('{ viewer { status } }', { token: manager.secret })).viewer, { status: 'ACTIVE' })
  })

  test("App.tokens of the caller's own app stays within the app", async () => {
    const data = dataOf(
      await server.gql('query($id: ID!) { app(id: $id) { tokens(first: 20) { edges { node { app { id } } } } } }', { token: tokenA.secret, variables: { id: appA.id } }),
    )
    const nodes = data.app.tokens.edges.map((t: any) => t.node.app.id)
    assert.ok(nodes.length > 0)
    assert.ok(nodes.every((id: string) => id === appA.id))
  })

  describe('subject boundary', () => {
    let alice: { secret: string; id: string }
    let bob: { secret: string; id: string }

    before(async () => {
      alice = await issue(server, { appId: appA.id, subject: 'alice', scopes: ['tokens:write'] })
      bob = await issue(server, { appId: appA.id, subject: 'bob', scopes: ['tokens:write'] })
      await issue(server, { appId: appA.id, subject: 'alice', scopes: ['tokens:read'] })
    })

    test("a subject's token lists only that subject's tokens, whatever subject it asks for", async () => {
      const q = 'query($s: String) { tokens(subject: $s, first: 100) { totalCount edges { node { subject } } } }'
      const own = dataOf(await server.gql(q, { token: alice.secret })).tokens
      assert.equal(own.totalCount, 2)
      assert.ok(own.edges.every((e: any) => e.node.subject === 'alice'))
      assert.deepEqual(dataOf(await server.gql(q, { token: alice.secret, variables: { s: 'bob' } })).tokens, { totalCount: 0, edges: [] })
      const app = dataOf(await server.gql(q, { token: tokenA.secret })).tokens
      assert.ok(app.edges.some((e: any) => e.node.subject === 'bob'))
    })

    test("a subject's token sees another subject's token as null", async () => {
      const q = 'query($id: ID!) { token(id: $id) { id } }'
      assert.deepEqual(dataOf(await server.gql(q, { token: alice.secret, variables: { id: alice.id } })).token, { id: alice.id })
      assert.deepEqual((await server.gql(q, { token: alice.secret, variables: { id: bob.id } })).body, { data: { token: null } })
    })

    test("a subject's token cannot revoke another subject's token", async () => {
      await expectRefused(server, () => server.gql(REVOKE, { token: alice.secret, variables: { id: bob.id } }), 'NOT_FOUND')
    })

    test('a subject token issues for its own subject, inherited by default, and not for another', async () => {
      const inherited = await issue(server, { scopes: ['tokens:read'] }, alice.secret)
      assert.equal(inherited.token.subject, 'alice')
      const explicit = await issue(server, { scopes: ['tokens:read'], subject: 'alice' }, alice.secret)
      assert.equal(explicit.token.subject, 'alice')
      const { error } = await expectRefused(
        server,
        () => server.gql(ISSUE, { token: alice.secret, variables: { input: { name: 'x', scopes: ['tokens:read'], subject: 'bob' } } }),
        'BAD_USER_INPUT',
      )
      assert.equal(error.extensions?.field, 'subject')
    })

    test('a root-app token with a subject is confined to its subject too: it neither lists nor reads other tokens', async () => {
      const rootAlice = await issue(server, { appId: 'root', subject: 'alice', scopes: ['tokens:write'] })
      const listed = dataOf(await server.gql('{ tokens(first: 100) { edges { node { id subject app { id } } } } }', { token: rootAlice.secret })).tokens.edges
      assert.deepEqual(
        listed.map((e: any) => [e.node.id, e.node.subject, e.node.app.id]),
        [[rootAlice.id, 'alice', 'root']],
      )
      assert.deepEqual((await server.gql('query($id: ID!) { token(id: $id) { id } }', { token: rootAlice.secret, variables: { id: bob.id } })).body, { data: { token: null } })
      await expectRefused(server, () => server.gql(REVOKE, { token: rootAlice.secret, variables: { id: tokenB.id } }), 'NOT_FOUND')
    })

    test('a root-app token with a subject issues for other apps only with its own subject', async () => {
      const rootAlice = await issue(server, { appId: 'root', subject: 'alice', scopes: ['tokens:write'] })
      const issued = await issue(server, { appId: appA.id, scopes: ['tokens:read'] }, rootAlice.secret)
      assert.equal(issued.token.subject, 'alice')
      const { error } = await expectRefused(
        server,
        () => server.gql(ISSUE, { token: rootAlice.secret, variables: { input: { name: 'x', appId: appA.id, scopes: ['tokens:read'], subject: 'bob' } } }),
        'BAD_USER_INPUT',
      )
      assert.equal(error.extensions?.field, 'subject')
    })

    test('a derived token inherits the subject', async () => {
      const data = dataOf(await server.gql('mutation { deriveToken(input: { name: "d", scopes: ["tokens:read"] }) { token { subject } } }', { token: alice.secret }))
      assert.equal(data.deriveToken.token.subject, 'alice')
    })
  })
})
