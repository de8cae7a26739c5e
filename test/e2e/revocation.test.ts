// Revocation: effective on the next request, cascading down the derivation tree and nowhere else.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { auditCount, createApp, dataOf, DERIVE, issue, REVOKE, ROTATE, startServer, type TestServer } from './harness.js'
import { expectRefused } from './refusal.js'

const TOKEN = 'query($id: ID!) { token(id: $id) { id status revokedAt revokeReason parent { id } } }'

describe('revocation', () => {
  let server: TestServer
  let app: { id: string }

  before(async () => {
    server = await startServer()
    app = await createApp(server, { name: 'a', allowedScopes: ['tokens:write'] })
  })
  after(() => server.stop())

  async function derive(parentSecret: string, scopes = ['tokens:write']): Promise<{ secret: string; id: string }> {
    const data = dataOf(await server.gql(DERIVE, { token: parentSecret, variables: { input: { name: 'child', scopes } } }))
    return { secret: data.deriveToken.secret, id: data.deriveToken.token.id }
  }
  const works = async (secret: string) => (await server.gql('{ viewer { id } }', { token: secret })).status === 200
  const row = async (id: string) => dataOf(await server.gql(TOKEN, { variables: { id } })).token

  test('a revoked token is refused on the very next request', async () => {
    const t = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
    assert.equal(await works(t.secret), true)
    dataOf(await server.gql(REVOKE, { variables: { id: t.id, reason: 'leaked' } }))
    assert.equal(await works(t.secret), false)
  })

  test('revoking a parent revokes its children and grandchildren, but not its siblings or its own parent', async () => {
    const root = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
    const parent = await derive(root.secret)
    const sibling = await derive(root.secret)
    const child = await derive(parent.secret)
    const grandchild = await derive(child.secret, ['tokens:read'])
    const cousin = await derive(sibling.secret)
    for (const t of [root, parent, sibling, child, grandchild, cousin]) assert.equal(await works(t.secret), true)

    const revoked = dataOf(await server.gql(REVOKE, { variables: { id: parent.id, reason: 'compromised' } })).revokeToken
    assert.equal(revoked.status, 'REVOKED')

    for (const t of [parent, child, grandchild]) {
      assert.equal(await works(t.secret), false)
      assert.equal((await row(t.id)).status, 'REVOKED')
    }
    for (const t of [root, sibling, cousin]) {
      assert.equal(await works(t.secret), true)
      assert.deepEqual([(await row(t.id)).status, (await row(t.id)).revokedAt], ['ACTIVE', null])
    }
  })

  test('a revoked token can no longer derive children', async () => {
    const t = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
    dataOf(await server.gql(REVOKE, { variables: { id: t.id } }))
    await expectRefused(server, () => server.gql(DERIVE, { token: t.secret, variables: { input: { name: 'c', scopes: ['tokens:read'] } } }), 'UNAUTHENTICATED')
  })

  test('revoking twice is idempotent: the first revocation time and reason stay', async () => {
    const t = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
    const first = dataOf(await server.gql(REVOKE, { variables: { id: t.id, reason: 'first' } })).revokeToken
    server.advance(60_000)
    const second = dataOf(await server.gql(REVOKE, { variables: { id: t.id, reason: 'second' } })).revokeToken
    assert.deepEqual(second, first)
    assert.equal(second.revokeReason, 'first')
  })

  test('revoking an unknown id is NOT_FOUND and writes nothing', async () => {
    await expectRefused(server, () => server.gql(REVOKE, { variables: { id: 'Zz9Zz9Zz9Zz9Zz9Z' } }), 'NOT_FOUND')
  })

  test('a revocation reason with control characters is refused and the token stays active', async () => {
    const t = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
    const { error } = await expectRefused(server, () => server.gql(REVOKE, { variables: { id: t.id, reason: 'a\nb' } }), 'BAD_USER_INPUT')
    assert.equal(error.extensions?.field, 'reason')
    assert.equal(await works(t.secret), true)
  })

  test("a rotated token's children keep working, moved to the successor", async () => {
    const parent = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
    const child = await derive(parent.secret)
    assert.equal((await row(child.id)).parent.id, parent.id)
    const successor = dataOf(await server.gql(ROTATE, { variables: { id: parent.id } })).rotateToken
    assert.equal(await works(parent.secret), false)
    assert.equal(await works(child.secret), true)
    assert.equal((await row(child.id)).parent.id, successor.token.id)
    // The cascade now follows the successor.
    dataOf(await server.gql(REVOKE, { variables: { id: successor.token.id } }))
    assert.equal(await works(child.secret), false)
  })

  test('a rotated-away token cannot be rotated again, and its revocation does not reach the moved children', async () => {
    const parent = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
    const child = await derive(parent.secret)
    dataOf(await server.gql(ROTATE, { variables: { id: parent.id, grace: 'PT1H' } }))
    const audits = await auditCount(server)
    dataOf(await server.gql(REVOKE, { variables: { id: parent.id } }))
    assert.equal(await auditCount(server), audits + 1)
    assert.equal(await works(parent.secret), false)
    assert.equal(await works(child.secret), true)
    const { error } = await expectRefused(server, () => server.gql(ROTATE, { variables: { id: parent.id } }), 'BAD_USER_INPUT')
    assert.equal(error.extensions?.field, 'id')
  })
})
