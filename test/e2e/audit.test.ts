// The audit log: every change writes exactly one event naming who, what, on what, and in which request; a refusal writes none.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { auditCount, createApp, CREATE_APP, dataOf, DERIVE, ISSUE, issue, REVOKE, ROTATE, startServer, type TestServer } from './harness.js'
import { expectRefused } from './refusal.js'

interface AuditRow {
  id: string
  actor: string | null
  appId: string | null
  action: string
  target: string | null
  requestId: string | null
  ip: string | null
  details: Record<string, any>
}

describe('audit log', () => {
  let server: TestServer
  let rootId: string
  let app: { id: string }
  let writer: { secret: string; id: string }

  before(async () => {
    server = await startServer()
    rootId = dataOf(await server.gql('{ viewer { id } }')).viewer.id
    app = await createApp(server, { name: 'audited', allowedScopes: ['tokens:write'] })
    writer = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
  })
  after(() => server.stop())

  async function allEvents(token?: string): Promise<AuditRow[]> {
    const out: AuditRow[] = []
    let after: string | null = null
    do {
      const page: any = dataOf(
        await server.gql(
          'query($a: String) { auditEvents(first: 100, after: $a) { edges { node { id actor appId action target requestId ip details } } pageInfo { hasNextPage endCursor } } }',
          { token, variables: { a: after } },
        ),
      ).auditEvents
      out.push(...page.edges.map((e: any) => e.node))
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null
    } while (after !== null)
    return out
  }

  /** Runs a mutation under `requestId` and returns its data and the one audit event it wrote. */
  async function audited(requestId: string, query: string, variables: Record<string, unknown>, token?: string): Promise<{ data: any; event: AuditRow }> {
    const before = await auditCount(server)
    const result = await server.gql(query, { token, variables, headers: { 'x-request-id': requestId } })
    assert.equal(result.headers.get('x-request-id'), requestId)
    const data = dataOf(result)
    assert.equal(await auditCount(server), before + 1, 'a mutation must write exactly one audit event')
    const events = (await allEvents()).filter((e) => e.requestId === requestId)
    assert.equal(events.length, 1)
    return { data, event: events[0] as AuditRow }
  }

  test('issueToken records actor, action, target and the x-request-id', async () => {
    const { data, event } = await audited('test-123', ISSUE, { input: { appId: app.id, name: 'x', scopes: ['tokens:read'] } })
    assert.deepEqual(
      { actor: event.actor, appId: event.appId, action: event.action, target: event.target, requestId: event.requestId },
      { actor: rootId, appId: app.id, action: 'token.issue', target: data.issueToken.token.id, requestId: 'test-123' },
    )
    assert.ok(event.ip, 'the client address is recorded')
    assert.deepEqual(event.details.scopes, ['tokens:read'])
    // A JSON object, its instants ISO 8601 like every DateTime of the API.
    assert.equal(event.details.expiresAt, data.issueToken.token.expiresAt)
    assert.match(event.details.expiresAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  })

  test('a refused issueToken writes no event', async () => {
    await expectRefused(
      server,
      () => server.gql(ISSUE, { token: writer.secret, variables: { input: { name: 'x', scopes: ['audit:read'] } }, headers: { 'x-request-id': 'refused-1' } }),
      'BAD_USER_INPUT',
    )
    assert.deepEqual(
      (await allEvents()).filter((e) => e.requestId === 'refused-1'),
      [],
    )
  })

  test('a mutation refused whole by the directive engine writes no event', async () => {
    const reader = await issue(server, { appId: app.id, scopes: ['tokens:read'] })
    await expectRefused(server, () => server.gql(REVOKE, { token: reader.secret, variables: { id: writer.id }, headers: { 'x-request-id': 'refused-2' } }), 'FORBIDDEN')
    assert.deepEqual(
      (await allEvents()).filter((e) => e.requestId === 'refused-2'),
      [],
    )
  })

  test('createApp, updateApp and disableApp each write one event targeting the app', async () => {
    const created = await audited('app-create', CREATE_APP, { input: { name: 'n', allowedScopes: ['tokens:read'] } })
    const id = created.data.createApp.id
    assert.deepEqual([created.event.action, created.event.target, created.event.actor], ['app.create', id, rootId])
    const updated = await audited('app-update', 'mutation($id: ID!) { updateApp(id: $id, input: { name: "m" }) { id } }', { id })
    assert.deepEqual([updated.event.action, updated.event.target, updated.event.actor], ['app.update', id, rootId])
    const disabled = await audited('app-disable', 'mutation($id: ID!) { disableApp(id: $id) { id } }', { id })
    assert.deepEqual([disabled.event.action, disabled.event.target, disabled.event.actor], ['app.disable', id, rootId])
  })

  test('createScope writes one event targeting the scope', async () => {
    const { event } = await audited('scope-create', 'mutation { createScope(input: { name: "reports:read", description: "Read reports" }) { name } }', {})
    assert.deepEqual([event.action, event.target, event.actor], ['scope.create', 'reports:read', rootId])
  })

  test('deriveToken writes one event whose actor is the parent', async () => {
    const { data, event } = await audited('derive-1', DERIVE, { input: { name: 'c', scopes: ['tokens:read'] } }, writer.secret)
    assert.deepEqual([event.action, event.target, event.actor, event.appId], ['token.derive', data.deriveToken.token.id, writer.id, app.id])
  })

  test('rotateToken writes one event targeting the old token', async () => {
    const t = await issue(server, { appId: app.id, scopes: ['tokens:read'] })
    const { data, event } = await audited('rotate-1', ROTATE, { id: t.id }, writer.secret)
    assert.deepEqual([event.action, event.target, event.actor], ['token.rotate', t.id, writer.id])
    assert.equal(event.details.successor, data.rotateToken.token.id)
  })

  test('revokeToken writes one event listing the cascade', async () => {
    const parent = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
    const child = dataOf(await server.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'c', scopes: ['tokens:read'] } } })).deriveToken.token.id
    const { event } = await audited('revoke-1', REVOKE, { id: parent.id, reason: 'gone' }, writer.secret)
    assert.deepEqual([event.action, event.target, event.actor], ['token.revoke', parent.id, writer.id])
    assert.deepEqual(new Set(event.details.revoked), new Set([parent.id, child]))
  })

  test('an x-request-id that is not a safe token is replaced by a generated id, never stored as sent', async () => {
    const before = await auditCount(server)
    const evil = 'x'.repeat(65)
    const result = await server.gql(ISSUE, { variables: { input: { appId: app.id, name: 'x', scopes: ['tokens:read'] } }, headers: { 'x-request-id': evil } })
    dataOf(result)
    const generated = result.headers.get('x-request-id')
    assert.ok(generated && generated !== evil)
    assert.equal(await auditCount(server), before + 1)
    const events = await allEvents()
    assert.equal(events.filter((e) => e.requestId === evil).length, 0)
    assert.equal(events.filter((e) => e.requestId === generated).length, 1)
  })

  test('a non-root token reads only its own app events; root reads all', async () => {
    const reader = await issue(server, { appId: 'root', scopes: ['audit:read'] })
    const all = await allEvents(reader.secret)
    assert.ok(all.some((e) => e.appId === app.id) && all.some((e) => e.appId === 'root'))
    const other = await createApp(server, { name: 'auditor', allowedScopes: ['audit:read'] })
    const own = await issue(server, { appId: other.id, scopes: ['audit:read'] })
    const seen = await allEvents(own.secret)
    assert.ok(seen.length > 0)
    assert.ok(seen.every((e) => e.appId === other.id))
  })
})
