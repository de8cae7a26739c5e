// Issue 13: the API fields the console's pages need: a token's description, token search and sort
// with keyset paging, per-day usage, and unique app names. Each allowed case has its refusal beside it.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { auditCount, createApp, CREATE_APP, dataOf, DERIVE, issue, startServer, type TestServer } from './harness.js'
import { expectRefused } from './refusal.js'

const DAY = 86_400_000
const DESCRIBED = 'query($id: ID!) { token(id: $id) { name description } }'
const LIST = `query($appId: ID, $search: String, $sort: TokenSort, $descending: Boolean, $first: Int, $after: String) {
  tokens(appId: $appId, search: $search, sort: $sort, descending: $descending, first: $first, after: $after) {
    edges { cursor node { id name lastUsedAt expiresAt } } pageInfo { hasNextPage endCursor } totalCount } }`
const USAGE = 'query($id: ID!, $days: Int) { token(id: $id) { usageByDay(days: $days) { day scope count } } }'

describe('console API fields', () => {
  let server: TestServer
  let app: { id: string }

  before(async () => {
    server = await startServer()
    app = await createApp(server, { name: 'fields', allowedScopes: ['tokens:read', 'tokens:write', 'apps:read'] })
  })
  after(() => server.stop())

  const list = async (variables: Record<string, unknown>, token?: string) => dataOf(await server.gql(LIST, { token, variables: { appId: app.id, ...variables } })).tokens

  /** Every page of a list, following endCursor: the ids in order. */
  const walk = async (variables: Record<string, unknown>): Promise<string[]> => {
    const ids: string[] = []
    let cursor: string | null = null
    for (;;) {
      const page = await list({ ...variables, first: 2, after: cursor })
      ids.push(...page.edges.map((e: { node: { id: string } }) => e.node.id))
      if (!page.pageInfo.hasNextPage) return ids
      cursor = page.pageInfo.endCursor
    }
  }

  test('13 a token keeps the description it was issued or derived with, and the audit event records it', async () => {
    const parent = await issue(server, { appId: app.id, name: 'deploy', description: 'CI deploys of the billing service', scopes: ['tokens:write'] })
    assert.deepEqual(dataOf(await server.gql(DESCRIBED, { variables: { id: parent.id } })).token, { name: 'deploy', description: 'CI deploys of the billing service' })
    const child = dataOf(
      await server.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'child', description: 'read-only view', scopes: ['tokens:read'] } } }),
    ).deriveToken
    assert.equal(dataOf(await server.gql(DESCRIBED, { variables: { id: child.token.id } })).token.description, 'read-only view')
    const plain = await issue(server, { appId: app.id, scopes: ['tokens:read'] })
    assert.equal(dataOf(await server.gql(DESCRIBED, { variables: { id: plain.id } })).token.description, null)
    const events = await server.app.store.listAuditEvents({ target: parent.id, limit: 10 })
    assert.equal(events.rows[0]?.details.description, 'CI deploys of the billing service')
  })

  test('13 a description too long or holding control characters is refused naming description, and nothing is written', async () => {
    for (const description of ['x'.repeat(501), 'bell\u0007', 'nul\u0000']) {
      const { error } = await expectRefused(
        server,
        () =>
          server.gql('mutation($input: IssueTokenInput!) { issueToken(input: $input) { secret } }', {
            variables: { input: { appId: app.id, name: 'n', description, scopes: ['tokens:read'] } },
          }),
        'BAD_USER_INPUT',
      )
      assert.equal(error.extensions?.field, 'description')
    }
  })

  test('13 search finds tokens by name (any case, any part) or by exact id, within the caller’s boundary', async () => {
    const other = await createApp(server, { name: 'search-other', allowedScopes: ['tokens:read'] })
    const hit = await issue(server, { appId: app.id, name: 'Nightly-EXPORT job', scopes: ['tokens:read'] })
    await issue(server, { appId: other.id, name: 'nightly-export elsewhere', scopes: ['tokens:read'] })
    const byName = await list({ search: 'export' })
    assert.deepEqual(
      byName.edges.map((e: { node: { id: string } }) => e.node.id),
      [hit.id],
    )
    assert.equal(byName.totalCount, 1)
    assert.deepEqual(
      (await list({ search: hit.id })).edges.map((e: { node: { id: string } }) => e.node.id),
      [hit.id],
    )
    assert.equal((await list({ search: hit.id.slice(0, 8) })).edges.length, 0, 'an id matches only whole')
    // A token of the app sees only its own app's tokens, whatever the search.
    const reader = await issue(server, { appId: other.id, scopes: ['tokens:read'] })
    const seen = dataOf(await server.gql(LIST, { token: reader.secret, variables: { search: 'export' } })).tokens
    assert.deepEqual(
      seen.edges.map((e: { node: { name: string } }) => e.node.name),
      ['nightly-export elsewhere'],
    )
    // LIKE wildcards are plain text.
    assert.equal((await list({ search: '%' })).edges.length, 0)
    const tooLong = await server.gql(LIST, { variables: { search: 'x'.repeat(201) } })
    assert.equal(tooLong.body.errors?.[0]?.extensions?.field, 'search')
  })

  test('13 kind filters the list on the server (every page, with its count); a kind that is not one is refused', async () => {
    const kinds = await createApp(server, { allowedScopes: ['tokens:read'] })
    const opaque = await issue(server, { appId: kinds.id, name: 'k-opaque', scopes: ['tokens:read'] })
    const jwt = await issue(server, { appId: kinds.id, name: 'k-jwt', kind: 'JWT', scopes: ['tokens:read'] })
    const KIND = 'query($appId: ID, $kind: TokenKind) { tokens(appId: $appId, kind: $kind) { edges { node { id kind } } totalCount } }'
    const of = async (kind: string | null) => dataOf(await server.gql(KIND, { variables: { appId: kinds.id, kind } })).tokens
    assert.deepEqual(await of('JWT'), { edges: [{ node: { id: jwt.id, kind: 'JWT' } }], totalCount: 1 })
    assert.deepEqual(await of('OPAQUE'), { edges: [{ node: { id: opaque.id, kind: 'OPAQUE' } }], totalCount: 1 })
    assert.equal((await of(null)).totalCount, 2)
    const refused = await server.gql(KIND, { variables: { appId: kinds.id, kind: 'PASETO' } })
    assert.equal(refused.body.data, undefined)
    assert.match(refused.body.errors?.[0]?.message ?? '', /kind/)
  })

  test('13 sort by last used and by expiry pages by keyset in order, nulls where they belong, each token once', async () => {
    const sorted = await createApp(server, { name: 'sorted', allowedScopes: ['tokens:read'] })
    const issued: { id: string; secret: string }[] = []
    for (const [i, expiresIn] of ['P3D', 'P1D', null, 'P2D', 'P5D'].entries()) {
      issued.push(await issue(server, { appId: sorted.id, name: `s${i}`, scopes: ['tokens:read'], ...(expiresIn ? { expiresIn } : { noExpiry: true }) }))
    }
    const [t0, t1, t2, t3, t4] = issued.map((t) => t.id) as [string, string, string, string, string]
    const byExpiry = await walk({ appId: sorted.id, sort: 'EXPIRES' })
    assert.deepEqual(byExpiry, [t1, t3, t0, t4, t2], 'soonest first, never last')
    assert.deepEqual(await walk({ appId: sorted.id, sort: 'EXPIRES', descending: true }), [...byExpiry].reverse())
    // t3 used, then t0 a second later: last used first, the never-used after them.
    for (const used of [issued[3], issued[0]]) {
      assert.equal((await server.gql('{ tokens(first: 1) { totalCount } }', { token: used?.secret })).status, 200)
      server.advance(1000)
    }
    await server.app.domain.usage.flush()
    const byUse = await walk({ appId: sorted.id, sort: 'LAST_USED', descending: true })
    assert.deepEqual(byUse.slice(0, 2), [t0, t3])
    assert.deepEqual(new Set(byUse.slice(2)), new Set([t1, t2, t4]))
    assert.equal(byUse.length, 5)
    const ascending = await walk({ appId: sorted.id, sort: 'LAST_USED' })
    assert.deepEqual(ascending, [...byUse].reverse(), 'ties (never used) by id, the reverse of descending')
  })

  test('13 a cursor continues only the order it came from: another order or a forged cursor is refused naming after', async () => {
    const page = await list({ sort: 'EXPIRES', first: 1 })
    for (const variables of [{ sort: 'LAST_USED' }, { sort: 'EXPIRES', descending: true }, {}]) {
      const result = await server.gql(LIST, { variables: { appId: app.id, ...variables, first: 1, after: page.pageInfo.endCursor } })
      assert.equal(result.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(variables))
      assert.equal(result.body.errors?.[0]?.extensions?.field, 'after')
    }
    const forged = Buffer.from('o:EXPIRES:a:1 OR 1=1:x').toString('base64url')
    assert.equal((await server.gql(LIST, { variables: { sort: 'EXPIRES', after: forged } })).body.errors?.[0]?.extensions?.field, 'after')
  })

  test('13 usageByDay counts requests per UTC day and scope, written in batches, over the days asked for', async () => {
    const user = await issue(server, { appId: app.id, scopes: ['tokens:read', 'apps:read'] })
    const read = () => server.gql('{ tokens(first: 1) { totalCount } apps(first: 1) { totalCount } }', { token: user.secret })
    await read()
    await read()
    // Nothing is written on the request path: the rows appear only when the tracker flushes.
    assert.deepEqual(await server.app.store.listDailyUsage(user.id, '2000-01-01'), [])
    await server.app.domain.usage.flush()
    server.advance(DAY)
    await read()
    const rows = dataOf(await server.gql(USAGE, { variables: { id: user.id } })).token.usageByDay
    const today = new Date(Date.now() + DAY).toISOString().slice(0, 10)
    const yesterday = new Date(Date.now()).toISOString().slice(0, 10)
    assert.deepEqual(rows, [
      { day: yesterday, scope: 'apps:read', count: 2 },
      { day: yesterday, scope: 'tokens:read', count: 2 },
      { day: today, scope: 'apps:read', count: 1 },
      { day: today, scope: 'tokens:read', count: 1 },
    ])
    const lastDay = dataOf(await server.gql(USAGE, { variables: { id: user.id, days: 1 } })).token.usageByDay
    assert.deepEqual(
      lastDay.map((r: { day: string }) => r.day),
      [today, today],
    )
  })

  test('13 usageByDay refuses days outside 1..90 and needs tokens:read', async () => {
    const target = await issue(server, { appId: app.id, scopes: ['tokens:read'] })
    for (const days of [0, 91, -1]) {
      const result = await server.gql(USAGE, { variables: { id: target.id, days } })
      assert.equal(result.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT')
      assert.equal(result.body.errors?.[0]?.extensions?.field, 'days')
    }
    const appsOnly = await issue(server, { appId: app.id, scopes: ['apps:read'] })
    const denied = await server.gql('{ viewer { id usageByDay { day } } }', { token: appsOnly.secret })
    assert.equal(denied.body.data?.viewer?.usageByDay, null)
    assert.equal(denied.body.errors?.[0]?.extensions?.code, 'FORBIDDEN')
  })

  test('13 app names are unique: creating or renaming onto a taken name is a CONFLICT naming name, and nothing is written', async () => {
    await createApp(server, { name: 'unique-billing', allowedScopes: ['tokens:read'] })
    const second = await createApp(server, { name: 'unique-other', allowedScopes: ['tokens:read'] })
    const audits = await auditCount(server)
    const create = await expectRefused(server, () => server.gql(CREATE_APP, { variables: { input: { name: 'unique-billing', allowedScopes: [] } } }), 'CONFLICT')
    assert.equal(create.error.extensions?.field, 'name')
    assert.match(create.error.message, /unique-billing/)
    const rename = await expectRefused(
      server,
      () => server.gql('mutation($id: ID!) { updateApp(id: $id, input: { name: "unique-billing" }) { name } }', { variables: { id: second.id } }),
      'CONFLICT',
    )
    assert.equal(rename.error.extensions?.field, 'name')
    assert.equal(await auditCount(server), audits)
    assert.equal((await server.app.store.getApp(second.id))?.name, 'unique-other')
    // Renaming an app to its own name, or to a free one, is fine.
    const same = await server.gql('mutation($id: ID!) { updateApp(id: $id, input: { name: "unique-other" }) { name } }', { variables: { id: second.id } })
    assert.equal(dataOf(same).updateApp.name, 'unique-other')
  })

  test('13 signing keys name their algorithm by the SigningAlgorithm enum: a string or an unknown name is refused before anything runs', async () => {
    const keys = dataOf(await server.gql('{ signingKeys { alg } }')).signingKeys
    assert.ok(keys.every((k: { alg: string }) => ['EdDSA', 'ES256', 'RS256'].includes(k.alg)))
    for (const alg of ['"ES256"', 'HS256']) {
      const before = await server.app.store.listSigningKeys()
      const result = await server.gql(`mutation { rotateSigningKey(alg: ${alg}) { kid } }`)
      assert.equal(result.status, 400)
      assert.equal(result.body.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED')
      assert.equal((await server.app.store.listSigningKeys()).length, before.length)
    }
  })
})
