// Narrowing families and what counts as use (issue 11.12, 18.6): a trim keeps in each derived token
// what its parent still implies and never leaves one with nothing; resource servers' checks count as use.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createApp, dataOf, DERIVE, issue, startServer, type TestServer } from './harness.js'
import { expectRefused } from './refusal.js'

const TOKEN = 'query($id: ID!) { token(id: $id) { id status scopes lastUsedAt usedScopes } }'

describe('trimming a family', () => {
  let server: TestServer

  before(async () => {
    server = await startServer()
  })
  after(() => server.stop())

  async function derive(parentSecret: string, scopes: string[]): Promise<{ secret: string; id: string }> {
    const data = dataOf(await server.gql(DERIVE, { token: parentSecret, variables: { input: { name: 'child', scopes } } }))
    return { secret: data.deriveToken.secret, id: data.deriveToken.token.id }
  }

  test('11.12 a tokens:write child of a parent trimmed to tokens:read keeps tokens:read', async () => {
    const app = await createApp(server, { name: 'trim-write', allowedScopes: ['tokens:write', 'apps:read'] })
    const parent = await issue(server, { appId: app.id, scopes: ['tokens:write', 'apps:read'] })
    const child = await derive(parent.secret, ['tokens:write'])
    const sibling = await derive(parent.secret, ['apps:read', 'tokens:write'])
    dataOf(await server.gql('{ tokens(first: 1) { totalCount } }', { token: parent.secret }))
    await server.app.usage.flush()
    const trimmed = dataOf(await server.gql(`mutation { trimToken(id: "${parent.id}") { removedScopes keptScopes token { scopes } } }`)).trimToken
    assert.deepEqual(trimmed, { removedScopes: ['apps:read', 'tokens:write'], keptScopes: ['tokens:read'], token: { scopes: ['tokens:read'] } })
    for (const t of [child, sibling]) {
      const now = await row(server, t.id)
      assert.deepEqual([now.status, now.scopes], ['ACTIVE', ['tokens:read']], 'what the parent still implies is kept, the rest goes')
      assert.equal((await server.gql('{ tokens(first: 1) { totalCount } }', { token: t.secret })).status, 200, 'it still reads')
      assert.equal((await server.gql(`mutation { revokeToken(id: "${parent.id}") { id } }`, { token: t.secret })).status, 403, 'it no longer writes')
    }
  })

  test('11.12 a trim that would leave a derived token with no scope is refused and changes nothing', async () => {
    const app = await createApp(server, { name: 'trim-empty', allowedScopes: ['tokens:read', 'apps:read'] })
    const parent = await issue(server, { appId: app.id, scopes: ['tokens:read', 'apps:read'] })
    const child = await derive(parent.secret, ['apps:read'])
    dataOf(await server.gql('{ tokens(first: 1) { totalCount } }', { token: parent.secret }))
    await server.app.usage.flush()
    const { error } = await expectRefused(server, () => server.gql(`mutation { trimToken(id: "${parent.id}") { keptScopes } }`), 'BAD_USER_INPUT')
    assert.equal(error.extensions?.field, 'id')
    assert.deepEqual(error.extensions?.emptiedTokens, [child.id])
    assert.deepEqual((await row(server, parent.id)).scopes, ['apps:read', 'tokens:read'])
    assert.deepEqual((await row(server, child.id)).scopes, ['apps:read'])
  })
})

describe('resource servers count as use', () => {
  let server: TestServer

  before(async () => {
    server = await startServer()
  })
  after(() => server.stop())

  const introspect = async (token: string) => {
    const res = await fetch(`${server.url}/oauth/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${server.rootToken}` },
      body: new URLSearchParams({ token }).toString(),
    })
    return (await res.json()) as { active: boolean; scope?: string }
  }

  test('18.6 a token checked only through /oauth/introspect has lastUsedAt, is not reported idle, and is not trimmed', async () => {
    const app = await createApp(server, { name: 'resource-server', allowedScopes: ['tokens:read', 'apps:read'] })
    const t = await issue(server, { appId: app.id, scopes: ['apps:read', 'tokens:read'] })
    for (let i = 0; i < 20; i++) assert.equal((await introspect(t.secret)).active, true)
    await server.app.usage.flush()
    const seen = await row(server, t.id)
    assert.ok(seen.lastUsedAt, 'lastUsedAt is set')
    assert.deepEqual(seen.usedScopes, ['apps:read', 'tokens:read'])
    const report = dataOf(await server.gql('{ overPermissionedTokens(unusedFor: "P30D", first: 100) { edges { node { token { id } } } } }'))
    assert.equal(
      report.overPermissionedTokens.edges.some((e: any) => e.node.token.id === t.id),
      false,
      'not reported',
    )
    const trimmed = dataOf(await server.gql(`mutation { trimToken(id: "${t.id}") { removedScopes token { scopes } } }`)).trimToken
    assert.deepEqual(trimmed, { removedScopes: [], token: { scopes: ['apps:read', 'tokens:read'] } }, 'the scopes the resource server relies on stay')
  })

  test('18.6 an introspection answered inactive is not a use', async () => {
    const other = await createApp(server, { name: 'inactive', allowedScopes: ['apps:read'] })
    const t = await issue(server, { appId: other.id, scopes: ['apps:read'] })
    dataOf(await server.gql(`mutation { revokeToken(id: "${t.id}") { id } }`))
    assert.equal((await introspect(t.secret)).active, false)
    await server.app.usage.flush()
    assert.equal((await row(server, t.id)).lastUsedAt, null)
  })
})

async function row(server: TestServer, id: string) {
  return dataOf(await server.gql(TOKEN, { variables: { id } })).token
}
