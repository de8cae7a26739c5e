import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { auditCount, createApp, dataOf, errorCodes, issue, startServer, type TestServer } from './harness.js'

describe("an app's ceilings", () => {
  let server: TestServer
  before(async () => {
    server = await startServer()
  })
  after(() => server.stop())

  test('narrowing the scope ceiling narrows existing tokens at once, keeping what the new ceiling still allows', async () => {
    const app = await createApp(server, { name: 'narrow', allowedScopes: ['tokens:write'] })
    const t = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
    dataOf(await server.gql(`mutation { updateApp(id: "${app.id}", input: {allowedScopes: ["tokens:read"]}) { id } }`))
    const read = await server.gql('{ tokens(first: 1) { totalCount } }', { token: t.secret })
    assert.equal(read.status, 200)
    assert.equal(read.headers.get('x-oauth-scopes'), 'tokens:read')
    const write = await server.gql(`mutation { revokeToken(id: "${t.id}") { id } }`, { token: t.secret })
    assert.equal(write.status, 403)
  })

  test("an app's own token may tighten its lifetime ceiling but never loosen or remove it", async () => {
    const app = await createApp(server, { name: 'life', allowedScopes: ['apps:write'], maxTokenLifetime: 'P30D' })
    const own = await issue(server, { appId: app.id, scopes: ['apps:write'], expiresIn: 'P1D' })
    const events = await auditCount(server)
    for (const value of ['null', '"P31D"']) {
      const res = await server.gql(`mutation { updateApp(id: "${app.id}", input: {maxTokenLifetime: ${value}}) { maxTokenLifetime } }`, { token: own.secret })
      assert.deepEqual(errorCodes(res), ['FORBIDDEN'], value)
    }
    assert.equal(await auditCount(server), events)
    const tighter = dataOf(await server.gql(`mutation { updateApp(id: "${app.id}", input: {maxTokenLifetime: "P7D"}) { maxTokenLifetime } }`, { token: own.secret }))
    assert.equal(tighter.updateApp.maxTokenLifetime, 'P7D')
    const root = dataOf(await server.gql(`mutation { updateApp(id: "${app.id}", input: {maxTokenLifetime: null}) { maxTokenLifetime } }`))
    assert.equal(root.updateApp.maxTokenLifetime, null)
  })

  test("a token bound to a subject reads no audit events (they record other users' actions)", async () => {
    const app = await createApp(server, { name: 'subj', allowedScopes: ['audit:read'] })
    const appWide = await issue(server, { appId: app.id, scopes: ['audit:read'] })
    const user = await issue(server, { appId: app.id, subject: 'user-1', scopes: ['audit:read'] })
    const wide = dataOf(await server.gql('{ auditEvents(first: 100) { totalCount } }', { token: appWide.secret }))
    assert.ok(wide.auditEvents.totalCount > 0)
    const own = dataOf(await server.gql('{ auditEvents(first: 100) { totalCount edges { node { id } } } }', { token: user.secret }))
    assert.deepEqual(own.auditEvents, { totalCount: 0, edges: [] })
  })
})
