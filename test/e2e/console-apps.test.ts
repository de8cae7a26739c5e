// Issue 13: enableApp, App.clientCredentials and auditChainStatus, the API the console's apps and audit pages use.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createApp, dataOf, issue, startServer, type TestServer } from './harness.js'
import { expectRefused } from './refusal.js'

const ENABLE = 'mutation($id: ID!) { enableApp(id: $id) { id disabledAt } }'
const DISABLE = 'mutation($id: ID!) { disableApp(id: $id) { id disabledAt } }'
const SECRETS = 'query($id: ID!) { app(id: $id) { clientCredentials { id createdAt revokedAt lastUsedAt } } }'

describe('console apps API', () => {
  let server: TestServer

  before(async () => {
    server = await startServer()
  })
  after(() => server.stop())

  test('13 enableApp restores a disabled app and its tokens, with one audit event', async () => {
    const app = await createApp(server, { name: 'e1', allowedScopes: ['tokens:read'] })
    const t = await issue(server, { appId: app.id, scopes: ['tokens:read'] })
    dataOf(await server.gql(DISABLE, { variables: { id: app.id } }))
    assert.equal((await server.gql('{ viewer { id } }', { token: t.secret })).status, 401)
    const events = await server.app.store.countAuditEvents({ action: 'app.enable' })
    assert.equal(dataOf(await server.gql(ENABLE, { variables: { id: app.id } })).enableApp.disabledAt, null)
    assert.equal((await server.gql('{ viewer { id } }', { token: t.secret })).status, 200)
    assert.equal(await server.app.store.countAuditEvents({ action: 'app.enable' }), events + 1)
    // Enabling an enabled app writes nothing.
    dataOf(await server.gql(ENABLE, { variables: { id: app.id } }))
    assert.equal(await server.app.store.countAuditEvents({ action: 'app.enable' }), events + 1)
  })

  test('13 enableApp is refused to a non-root app token, even on its own app, and to a token without apps:write', async () => {
    const app = await createApp(server, { name: 'e2', allowedScopes: ['apps:write', 'tokens:read'] })
    const own = await issue(server, { appId: app.id, scopes: ['apps:write'] })
    const other = await createApp(server, { name: 'e3', allowedScopes: ['tokens:read'] })
    dataOf(await server.gql(DISABLE, { variables: { id: other.id } }))
    await expectRefused(server, () => server.gql(ENABLE, { token: own.secret, variables: { id: app.id } }), 'FORBIDDEN')
    await expectRefused(server, () => server.gql(ENABLE, { token: own.secret, variables: { id: other.id } }), 'NOT_FOUND')
    const reader = await issue(server, { scopes: ['apps:read'] })
    await expectRefused(server, () => server.gql(ENABLE, { token: reader.secret, variables: { id: other.id } }), 'FORBIDDEN')
    assert.notEqual(dataOf(await server.gql('query($id: ID!) { app(id: $id) { disabledAt } }', { variables: { id: other.id } })).app.disabledAt, null)
  })

  test('13 App.clientCredentials lists client secrets as metadata only, within the app boundary', async () => {
    const app = await createApp(server, { name: 'cs', allowedScopes: ['apps:read'] })
    const created = dataOf(await server.gql('mutation($id: ID!) { createClientSecret(appId: $id) { id secret } }', { variables: { id: app.id } })).createClientSecret
    const listed = dataOf(await server.gql(SECRETS, { variables: { id: app.id } })).app.clientCredentials
    assert.equal(listed.length, 1)
    assert.equal(listed[0].id, created.id)
    assert.equal(listed[0].lastUsedAt, null)
    assert.ok(!JSON.stringify(listed).includes(created.secret.slice(-20)), 'no secret in the listing')
    const outsider = await createApp(server, { name: 'cs2', allowedScopes: ['apps:read'] })
    const peek = await issue(server, { appId: outsider.id, scopes: ['apps:read'] })
    assert.equal(dataOf(await server.gql(SECRETS, { token: peek.secret, variables: { id: app.id } })).app, null)
  })

  test('13 auditChainStatus verifies the chain for root-app tokens and is refused to others', async () => {
    const status = dataOf(await server.gql('{ auditChainStatus { ok events firstBadEvent } }')).auditChainStatus
    assert.equal(status.ok, true)
    assert.ok(status.events > 0)
    const app = await createApp(server, { name: 'au', allowedScopes: ['audit:read'] })
    const auditor = await issue(server, { appId: app.id, scopes: ['audit:read'] })
    await expectRefused(server, () => server.gql('{ auditChainStatus { ok } }', { token: auditor.secret }), 'FORBIDDEN')
  })
})
