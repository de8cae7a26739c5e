import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createApp, dataOf, issue, REVOKE, startServer, type TestServer } from './harness.js'

describe('token lifecycle over HTTP', () => {
  let server: TestServer
  before(async () => {
    server = await startServer()
  })
  after(() => server.stop())

  test('issues a token, uses it, revokes it, and the next request is refused', async () => {
    const app = await createApp(server, { name: 'billing', allowedScopes: ['tokens:read', 'tokens:write'] })
    const issued = await issue(server, { appId: app.id, scopes: ['tokens:read'] })
    assert.match(issued.secret, /^swt_[A-Za-z0-9]{54}$/)
    assert.equal(issued.token.status, 'ACTIVE')

    const viewer = await server.gql('{ viewer { id scopes app { id } } }', { token: issued.secret })
    assert.equal(viewer.status, 200)
    assert.deepEqual(dataOf(viewer).viewer, { id: issued.id, scopes: ['tokens:read'], app: { id: app.id } })
    assert.equal(viewer.headers.get('x-oauth-scopes'), 'tokens:read')

    const revoked = dataOf(await server.gql(REVOKE, { variables: { id: issued.id, reason: 'test' } }))
    assert.equal(revoked.revokeToken.status, 'REVOKED')
    assert.equal(revoked.revokeToken.revokeReason, 'test')

    const refused = await server.gql('{ viewer { id } }', { token: issued.secret })
    assert.equal(refused.status, 401)
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/)
    assert.deepEqual(
      refused.body.errors?.map((e) => e.extensions?.code),
      ['UNAUTHENTICATED'],
    )
  })
})
