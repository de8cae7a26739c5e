import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { verifyAuditChain } from '../../src/domain/verify-audit.js'
import { openStore } from '../../src/store/open-store.js'
import { auditCount, createApp, dataOf, errorCodes, issue, runSql, startServer, type TestServer } from './harness.js'

const DAY = 86_400_000

describe('scope usage and over-permissioned tokens', () => {
  let server: TestServer
  before(async () => {
    server = await startServer()
  })
  after(() => server.stop())

  test('records the held scope that satisfied a requirement, including through implies', async () => {
    const t = await issue(server, { scopes: ['tokens:write', 'apps:read', 'audit:read'] })
    dataOf(await server.gql('{ tokens(first: 1) { totalCount } }', { token: t.secret }))
    dataOf(await server.gql('{ apps(first: 1) { totalCount } }', { token: t.secret }))
    await server.app.usage.flush()
    const data = dataOf(await server.gql(`{ token(id: "${t.id}") { usedScopes unusedScopes lastUsedAt scopeUsage { scope count } } }`))
    assert.deepEqual(data.token.usedScopes, ['apps:read', 'tokens:write'])
    assert.deepEqual(data.token.unusedScopes, ['audit:read'])
    assert.deepEqual(data.token.scopeUsage, [
      { scope: 'apps:read', count: 1 },
      { scope: 'tokens:write', count: 1 },
    ])
    assert.ok(data.token.lastUsedAt, 'lastUsedAt is set')
  })

  test('a request counts once per scope, however many protected fields it reads; the next request counts again', async () => {
    const t = await issue(server, { scopes: ['tokens:read', 'apps:read'] })
    for (let i = 0; i < 3; i++) await issue(server, { name: `listed ${i}`, scopes: ['tokens:read'] })
    // Every token of the page resolves protected fields (createdBy, scopes, usedScopes): many allowed fields, one request.
    const list = dataOf(
      await server.gql('{ tokens(first: 20) { totalCount edges { node { id name scopes usedScopes createdBy { id name } } } } apps(first: 5) { totalCount } }', {
        token: t.secret,
      }),
    )
    assert.ok(list.tokens.edges.length >= 4)
    await server.app.usage.flush()
    const once = dataOf(await server.gql(`{ token(id: "${t.id}") { scopeUsage { scope count } usageByDay { scope count } } }`))
    assert.deepEqual(once.token.scopeUsage, [
      { scope: 'apps:read', count: 1 },
      { scope: 'tokens:read', count: 1 },
    ])
    assert.deepEqual(once.token.usageByDay, [
      { scope: 'apps:read', count: 1 },
      { scope: 'tokens:read', count: 1 },
    ])
    dataOf(await server.gql('{ tokens(first: 20) { edges { node { id createdBy { id } } } } }', { token: t.secret }))
    await server.app.usage.flush()
    const twice = dataOf(await server.gql(`{ token(id: "${t.id}") { scopeUsage { scope count } } }`))
    assert.deepEqual(twice.token.scopeUsage, [
      { scope: 'apps:read', count: 1 },
      { scope: 'tokens:read', count: 2 },
    ])
  })

  test('a request that exercises no scope advances lastUsedAt but records no scope', async () => {
    const t = await issue(server, { scopes: ['audit:read'] })
    dataOf(await server.gql('{ viewer { id } }', { token: t.secret }))
    await server.app.usage.flush()
    const data = dataOf(await server.gql(`{ token(id: "${t.id}") { usedScopes lastUsedAt } }`))
    assert.deepEqual(data.token.usedScopes, [])
    assert.ok(data.token.lastUsedAt)
  })

  test('reports tokens whose scopes went unused for the window, and only those old enough to judge', async () => {
    const app = await createApp(server, { name: 'report', allowedScopes: ['tokens:read', 'apps:read'] })
    const idle = await issue(server, { appId: app.id, scopes: ['tokens:read', 'apps:read'] })
    const busy = await issue(server, { appId: app.id, scopes: ['tokens:read'] })
    server.advance(31 * DAY)
    const young = await issue(server, { appId: app.id, scopes: ['apps:read'] })
    dataOf(await server.gql('{ tokens(first: 1) { totalCount } }', { token: idle.secret }))
    dataOf(await server.gql('{ tokens(first: 1) { totalCount } }', { token: busy.secret }))
    await server.app.usage.flush()
    const report = dataOf(
      await server.gql('{ overPermissionedTokens(unusedFor: "P30D", first: 100) { edges { node { token { id } unusedScopes suggestedScopes } } pageInfo { hasNextPage } } }'),
    )
    const byId = new Map(report.overPermissionedTokens.edges.map((e: any) => [e.node.token.id, e.node]))
    assert.deepEqual(byId.get(idle.id), { token: { id: idle.id }, unusedScopes: ['apps:read'], suggestedScopes: ['tokens:read'] })
    assert.equal(byId.has(busy.id), false, 'a token using all its scopes is not reported')
    assert.equal(byId.has(young.id), false, 'a token younger than the window is not judged')
    const unused = dataOf(await server.gql(`{ token(id: "${idle.id}") { unusedScopes(since: "P1D") } }`))
    assert.deepEqual(unused.token.unusedScopes, ['apps:read'])
    server.advance(-31 * DAY)
  })

  test('trim: a dry run changes nothing; a trim narrows the token and its children, never widens', async () => {
    const t = await issue(server, { scopes: ['tokens:read', 'apps:read', 'audit:read'] })
    const child = dataOf(await server.gql(`mutation { deriveToken(input: {name: "c", scopes: ["apps:read", "audit:read"]}) { token { id } } }`, { token: t.secret })).deriveToken
      .token
    dataOf(await server.gql('{ apps(first: 1) { totalCount } tokens(first: 1) { totalCount } }', { token: t.secret }))
    const events = await auditCount(server)
    const dry = dataOf(await server.gql(`mutation { trimToken(id: "${t.id}", dryRun: true) { dryRun removedScopes keptScopes token { scopes } } }`))
    assert.deepEqual(dry.trimToken, {
      dryRun: true,
      removedScopes: ['audit:read'],
      keptScopes: ['apps:read', 'tokens:read'],
      token: { scopes: ['apps:read', 'audit:read', 'tokens:read'] },
    })
    assert.equal(await auditCount(server), events, 'a dry run writes nothing')
    const trimmed = dataOf(await server.gql(`mutation { trimToken(id: "${t.id}") { dryRun token { scopes } } }`))
    assert.deepEqual(trimmed.trimToken, { dryRun: false, token: { scopes: ['apps:read', 'tokens:read'] } })
    const childNow = dataOf(await server.gql(`{ token(id: "${child.id}") { scopes } }`))
    assert.deepEqual(childNow.token.scopes, ['apps:read'], 'the child no longer out-scopes its parent')
    const denied = await server.gql('{ auditEvents(first: 1) { totalCount } }', { token: t.secret })
    assert.deepEqual(errorCodes(denied), ['FORBIDDEN'], 'the trimmed scope no longer works')
    assert.equal(await auditCount(server), events + 1)
  })

  test('a token granted write that only reads is reported and trimmed to read', async () => {
    const app = await createApp(server, { name: 'writer', allowedScopes: ['tokens:write'] })
    const t = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
    server.advance(31 * DAY)
    for (let i = 0; i < 2; i++) dataOf(await server.gql('{ tokens(first: 1) { totalCount } }', { token: t.secret }))
    await server.app.usage.flush()
    const report = dataOf(await server.gql('{ overPermissionedTokens(unusedFor: "P30D", first: 100) { edges { node { token { id } unusedScopes suggestedScopes } } } }'))
    const row = report.overPermissionedTokens.edges.map((e: any) => e.node).find((n: any) => n.token.id === t.id)
    assert.deepEqual(row, { token: { id: t.id }, unusedScopes: [], suggestedScopes: ['tokens:read'] }, 'write was exercised, but only read was needed')
    const trimmed = dataOf(await server.gql(`mutation { trimToken(id: "${t.id}") { removedScopes keptScopes token { scopes } } }`))
    assert.deepEqual(trimmed.trimToken, { removedScopes: ['tokens:write'], keptScopes: ['tokens:read'], token: { scopes: ['tokens:read'] } })
    assert.equal((await server.gql('{ tokens(first: 1) { totalCount } }', { token: t.secret })).status, 200)
    assert.equal((await server.gql(`mutation { revokeToken(id: "${t.id}") { id } }`, { token: t.secret })).status, 403, 'it can no longer write')
    server.advance(-31 * DAY)
  })

  test('trim never widens: needs recorded before an earlier trim do not bring scopes back', async () => {
    const t = await issue(server, { scopes: ['apps:read', 'tokens:read'] })
    dataOf(await server.gql('{ apps(first: 1) { totalCount } }', { token: t.secret }))
    server.advance(10 * DAY)
    dataOf(await server.gql('{ tokens(first: 1) { totalCount } }', { token: t.secret }))
    await server.app.usage.flush()
    const first = dataOf(await server.gql(`mutation { trimToken(id: "${t.id}", unusedFor: "P5D") { token { scopes } } }`))
    assert.deepEqual(first.trimToken.token.scopes, ['tokens:read'])
    const events = await auditCount(server)
    const again = dataOf(await server.gql(`mutation { trimToken(id: "${t.id}") { removedScopes keptScopes token { scopes } } }`))
    assert.deepEqual(again.trimToken, { removedScopes: [], keptScopes: ['tokens:read'], token: { scopes: ['tokens:read'] } }, 'apps:read, needed long ago, is not granted back')
    assert.equal(await auditCount(server), events, 'nothing to change: nothing written')
    server.advance(-10 * DAY)
  })

  test('issueToken(forOperations) grants exactly the least scopes the documents need', async () => {
    const t = await issue(server, { forOperations: ['query { tokens { totalCount } }', 'query Q { apps { edges { node { id tokens { totalCount } } } } }'] })
    const data = dataOf(await server.gql(`{ token(id: "${t.id}") { scopes } }`))
    assert.deepEqual(data.token.scopes, ['apps:read', 'tokens:read'])
    const needed = dataOf(await server.gql('{ requiredScopes(document: "mutation { issueToken(input: {name: \\"x\\"}) { secret } }") }'))
    assert.deepEqual(needed.requiredScopes, [['tokens:write']])
    const bad = await server.gql(`mutation { issueToken(input: {name: "x", forOperations: ["query {"]}) { secret } }`)
    assert.deepEqual(errorCodes(bad), ['BAD_USER_INPUT'])
  })
})

describe('lifetime policies and bulk revocation', () => {
  let server: TestServer
  before(async () => {
    server = await startServer({ env: { SCOPEWARD_MAX_TOKEN_LIFETIME: 'P10D' } })
  })
  after(() => server.stop())

  test('the instance-wide maximum refuses longer tokens at issuance and stops old tokens at use', async () => {
    const refused = await server.gql(`mutation { issueToken(input: {name: "x", scopes: ["tokens:read"], expiresIn: "P11D"}) { secret } }`)
    assert.deepEqual(errorCodes(refused), ['BAD_USER_INPUT'])
    assert.equal(refused.body.errors?.[0]?.extensions?.field, 'expiresIn')
    const noExpiry = await server.gql(`mutation { issueToken(input: {name: "x", scopes: ["tokens:read"], noExpiry: true}) { secret } }`)
    assert.deepEqual(errorCodes(noExpiry), ['BAD_USER_INPUT'])
    const t = await issue(server, { scopes: ['tokens:read'] })
    assert.ok(Date.parse(t.token.expiresAt) - Date.now() <= 10 * DAY + 60_000, 'the default shrinks to the policy')
  })

  test("lowering an app's maximum lifetime stops its older tokens at the next request", async () => {
    const app = await createApp(server, { name: 'short', allowedScopes: ['tokens:read'] })
    const t = await issue(server, { appId: app.id, scopes: ['tokens:read'], expiresIn: 'P5D' })
    server.advance(2 * DAY)
    assert.equal((await server.gql('{ viewer { id } }', { token: t.secret })).status, 200)
    dataOf(await server.gql(`mutation { updateApp(id: "${app.id}", input: {maxTokenLifetime: "P1D"}) { id } }`))
    assert.equal((await server.gql('{ viewer { id } }', { token: t.secret })).status, 401)
    server.advance(-2 * DAY)
  })

  test('expiringTokens lists active tokens expiring within the window, soonest first, as a connection paged by keyset', async () => {
    const app = await createApp(server, { name: 'exp', allowedScopes: ['apps:read'] })
    const a = await issue(server, { appId: app.id, scopes: ['apps:read'], expiresIn: 'P2D' })
    const b = await issue(server, { appId: app.id, scopes: ['apps:read'], expiresIn: 'P1D' })
    const c = await issue(server, { appId: app.id, scopes: ['apps:read'], expiresIn: 'P1DT1H' })
    const EXPIRING =
      'query($within: Duration!, $after: String) { expiringTokens(within: $within, first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id expiresAt } } } }'
    const ids: string[] = []
    let after: string | null = null
    for (;;) {
      const page: any = dataOf(await server.gql(EXPIRING, { variables: { within: 'P3D', after } })).expiringTokens
      ids.push(...page.edges.map((e: any) => e.node.id))
      assert.ok(page.totalCount >= 3)
      if (!page.pageInfo.hasNextPage) break
      after = page.pageInfo.endCursor
    }
    const mine = ids.filter((id) => [a.id, b.id, c.id].includes(id))
    assert.deepEqual(mine, [b.id, c.id, a.id])
    assert.equal(new Set(ids).size, ids.length, 'each token once')
    const none = dataOf(await server.gql(EXPIRING, { variables: { within: 'PT1H' } }))
    assert.equal(
      none.expiringTokens.edges.some((e: any) => [a.id, b.id, c.id].includes(e.node.id)),
      false,
    )
    const bad = await server.gql(EXPIRING, { variables: { within: 'soon' } })
    assert.equal(bad.body.errors?.[0]?.extensions?.field, 'within')
  })

  test('revokeTokens hits exactly its filter; a dry run lists and changes nothing', async () => {
    const app = await createApp(server, { name: 'bulk', allowedScopes: ['apps:read', 'tokens:read'] })
    const other = await createApp(server, { name: 'bystander', allowedScopes: ['apps:read'] })
    const hit1 = await issue(server, { appId: app.id, scopes: ['apps:read'] })
    const hit2 = await issue(server, { appId: app.id, scopes: ['apps:read', 'tokens:read'] })
    const miss = await issue(server, { appId: app.id, scopes: ['tokens:read'] })
    const elsewhere = await issue(server, { appId: other.id, scopes: ['apps:read'] })
    const child = dataOf(await server.gql(`mutation { deriveToken(input: {name: "c", scopes: ["apps:read"]}) { token { id } } }`, { token: hit2.secret })).deriveToken.token
    const events = await auditCount(server)
    const query = (dry: boolean) =>
      `mutation { revokeTokens(filter: {appId: "${app.id}", scope: "apps:read"}, reason: "cleanup", dryRun: ${dry}) { dryRun matched { id } revokedIds } }`
    const dry = dataOf(await server.gql(query(true))).revokeTokens
    assert.deepEqual(new Set(dry.matched.map((t: any) => t.id)), new Set([hit1.id, hit2.id, child.id]))
    assert.deepEqual(dry.revokedIds, [])
    assert.equal(await auditCount(server), events)
    assert.equal((await server.gql('{ viewer { id } }', { token: hit1.secret })).status, 200)
    const done = dataOf(await server.gql(query(false))).revokeTokens
    assert.deepEqual(new Set(done.revokedIds), new Set([hit1.id, hit2.id, child.id]))
    for (const t of [hit1, hit2]) assert.equal((await server.gql('{ viewer { id } }', { token: t.secret })).status, 401)
    for (const t of [miss, elsewhere]) assert.equal((await server.gql('{ viewer { id } }', { token: t.secret })).status, 200)
    assert.equal(await auditCount(server), events + 1)
    const empty = await server.gql('mutation { revokeTokens(filter: {}) { dryRun } }')
    assert.deepEqual(errorCodes(empty), ['BAD_USER_INPUT'])
  })
})

describe('usage survives a restart', () => {
  test('counts acknowledged before shutdown are flushed on close and read back after restart', async () => {
    const dbPath = join(mkdtempSync(join(tmpdir(), 'scopeward-restart-')), 'db.sqlite')
    const first = await startServer({ dbPath, keep: true })
    const t = await issue(first, { scopes: ['apps:read'] })
    for (let i = 0; i < 3; i++) dataOf(await first.gql('{ apps(first: 1) { totalCount } }', { token: t.secret }))
    await first.stop()
    const second = await startServer({ dbPath, rootToken: first.rootToken })
    try {
      const data = dataOf(await second.gql(`{ token(id: "${t.id}") { scopeUsage { scope count } } }`))
      assert.deepEqual(data.token.scopeUsage, [{ scope: 'apps:read', count: 3 }])
    } finally {
      await second.stop()
    }
  })
})

describe('tamper-evident audit log', () => {
  test('verify passes on an intact log and names a changed or deleted row', async () => {
    const server = await startServer({ keep: true })
    for (let i = 0; i < 3; i++) await createApp(server, { name: `a${i}`, allowedScopes: ['apps:read'] })
    const { dbPath } = server
    await server.stop()
    const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args, '--db', dbPath], { encoding: 'utf8' })
    const ok = cli('audit', 'verify')
    assert.equal(ok.status, 0, ok.stderr)
    assert.match(ok.stdout, /intact/)

    await runSql(dbPath, `UPDATE audit_events SET details = '{"name":"forged"}' WHERE seq = 2`)
    const changed = cli('audit', 'verify')
    assert.equal(changed.status, 1)
    assert.match(changed.stderr, /event 2 .*changed/)

    await runSql(dbPath, 'DELETE FROM audit_events WHERE seq = 2')
    const deleted = cli('audit', 'verify')
    assert.equal(deleted.status, 1)
    assert.match(deleted.stderr, /event 2 is missing/)
    await server.discard()
  })

  test('deleting the newest events is detected against the recorded head', async () => {
    const server = await startServer({ keep: true })
    await createApp(server, { name: 'x', allowedScopes: ['apps:read'] })
    await server.stop()
    await runSql(server.dbPath, 'DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)')
    const reopened = await openStore(server.dbPath)
    const verdict = await verifyAuditChain(reopened)
    await reopened.close()
    await server.discard()
    assert.equal(verdict.ok, false)
  })
})
