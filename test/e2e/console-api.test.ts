// Issue 13: the API the console needs: the revocation dry run (revocationPreview) and a token's
// derived tokens. Both are reads: they change nothing, and stay within the caller's boundary.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { auditCount, createApp, dataOf, DERIVE, issue, REVOKE, startServer, tokenCount, type TestServer } from './harness.js'
import { expectRefused } from './refusal.js'

const PREVIEW = 'query($id: ID!) { revocationPreview(id: $id) { id name status } }'
const CHILDREN = 'query($id: ID!) { token(id: $id) { derivedTokens { id name } } }'
const STATUS = 'query($id: ID!) { token(id: $id) { status } }'

describe('console API', () => {
  let server: TestServer
  let app: { id: string }
  let other: { id: string }

  before(async () => {
    server = await startServer()
    app = await createApp(server, { name: 'a', allowedScopes: ['tokens:read', 'tokens:write'] })
    other = await createApp(server, { name: 'b', allowedScopes: ['tokens:read', 'tokens:write'] })
  })
  after(() => server.stop())

  const derive = async (secret: string, name: string) =>
    dataOf(await server.gql(DERIVE, { token: secret, variables: { input: { name, scopes: ['tokens:read'] } } })).deriveToken.token.id as string

  test('13 revocationPreview lists the token and its unrevoked descendants, parents first, and changes nothing', async () => {
    const parent = await issue(server, { appId: app.id, name: 'parent', scopes: ['tokens:write'] })
    const child = await derive(parent.secret, 'child')
    const revokedChild = await derive(parent.secret, 'revoked child')
    dataOf(await server.gql(REVOKE, { variables: { id: revokedChild } }))
    const before = { audit: await auditCount(server), tokens: await tokenCount(server) }
    const preview = dataOf(await server.gql(PREVIEW, { variables: { id: parent.id } })).revocationPreview
    assert.deepEqual(
      preview.map((t: { id: string }) => t.id),
      [parent.id, child],
    )
    assert.deepEqual({ audit: await auditCount(server), tokens: await tokenCount(server) }, before)
    assert.equal(dataOf(await server.gql(STATUS, { variables: { id: parent.id } })).token.status, 'ACTIVE')
    assert.equal((await server.gql('{ viewer { id } }', { token: parent.secret })).status, 200)
    // What it listed is exactly what revoking revokes.
    const revoked = dataOf(await server.gql(REVOKE, { variables: { id: parent.id } }))
    assert.equal(revoked.revokeToken.status, 'REVOKED')
    assert.equal(dataOf(await server.gql(STATUS, { variables: { id: child } })).token.status, 'REVOKED')
  })

  test('13 revocationPreview needs tokens:write: a tokens:read token is refused and nothing changes', async () => {
    const target = await issue(server, { appId: app.id, scopes: ['tokens:read'] })
    const reader = await issue(server, { appId: app.id, scopes: ['tokens:read'] })
    const { error } = await expectRefused(server, () => server.gql(PREVIEW, { token: reader.secret, variables: { id: target.id } }), 'FORBIDDEN')
    assert.match(JSON.stringify(error), /tokens:write/)
  })

  test('13 revocationPreview across the app boundary answers NOT_FOUND, as if the token did not exist', async () => {
    const outsider = await issue(server, { appId: other.id, scopes: ['tokens:write'] })
    const target = await issue(server, { appId: app.id, scopes: ['tokens:read'] })
    const foreign = await expectRefused(server, () => server.gql(PREVIEW, { token: outsider.secret, variables: { id: target.id } }), 'NOT_FOUND')
    const missing = await expectRefused(server, () => server.gql(PREVIEW, { token: outsider.secret, variables: { id: 'AAAAAAAAAAAAAAAA' } }), 'NOT_FOUND')
    assert.equal(foreign.error.message.replace(target.id, 'X'), missing.error.message.replace('AAAAAAAAAAAAAAAA', 'X'))
  })

  test("13 a subject-bound token previews only its own subject's tokens", async () => {
    const alice = await issue(server, { appId: app.id, subject: 'alice', scopes: ['tokens:write'] })
    const bobs = await issue(server, { appId: app.id, subject: 'bob', scopes: ['tokens:read'] })
    await expectRefused(server, () => server.gql(PREVIEW, { token: alice.secret, variables: { id: bobs.id } }), 'NOT_FOUND')
    const own = dataOf(await server.gql(PREVIEW, { token: alice.secret, variables: { id: alice.id } })).revocationPreview
    assert.deepEqual(
      own.map((t: { id: string }) => t.id),
      [alice.id],
    )
  })

  test('13 derivedTokens lists direct children only, oldest first', async () => {
    const parent = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
    const first = await derive(parent.secret, 'first')
    const second = await derive(parent.secret, 'second')
    const firstSecret = dataOf(await server.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'third', scopes: ['tokens:read'] } } })).deriveToken
    await derive(firstSecret.secret, 'grandchild')
    const children = dataOf(await server.gql(CHILDREN, { variables: { id: parent.id } })).token.derivedTokens
    assert.deepEqual(
      children.map((c: { id: string }) => c.id),
      [first, second, firstSecret.token.id],
    )
  })
})
