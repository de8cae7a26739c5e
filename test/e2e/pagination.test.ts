// Relay connections: opaque keyset cursors, stable while rows are inserted between page fetches.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createApp, dataOf, issue, REVOKE, startServer, type TestServer } from './harness.js'

const PAGE = `query Page($appId: ID, $status: TokenStatus, $first: Int, $after: String) {
  tokens(appId: $appId, status: $status, first: $first, after: $after) {
    totalCount
    edges { cursor node { id status } }
    pageInfo { hasNextPage endCursor }
  }
}`

describe('pagination', () => {
  let server: TestServer
  let app: { id: string }
  let ids: string[]

  before(async () => {
    server = await startServer()
    app = await createApp(server, { name: 'paged', allowedScopes: ['tokens:read'] })
    ids = []
    for (let i = 0; i < 5; i++) {
      ids.push((await issue(server, { appId: app.id, scopes: ['tokens:read'], name: `t${i}` })).id)
      server.advance(1)
    }
  })
  after(() => server.stop())

  const page = async (variables: Record<string, unknown>) => dataOf(await server.gql(PAGE, { variables: { appId: app.id, ...variables } })).tokens

  test('walks 5 tokens in pages of 2, oldest first, with totalCount and hasNextPage', async () => {
    const p1 = await page({ first: 2 })
    assert.equal(p1.totalCount, 5)
    assert.deepEqual(
      p1.edges.map((e: any) => e.node.id),
      ids.slice(0, 2),
    )
    assert.equal(p1.pageInfo.hasNextPage, true)
    assert.equal(p1.pageInfo.endCursor, p1.edges[1].cursor)
    const p2 = await page({ first: 2, after: p1.pageInfo.endCursor })
    assert.deepEqual(
      p2.edges.map((e: any) => e.node.id),
      ids.slice(2, 4),
    )
    assert.equal(p2.pageInfo.hasNextPage, true)
    const p3 = await page({ first: 2, after: p2.pageInfo.endCursor })
    assert.deepEqual(
      p3.edges.map((e: any) => e.node.id),
      ids.slice(4),
    )
    assert.equal(p3.pageInfo.hasNextPage, false)
    assert.equal(p3.totalCount, 5)
    const empty = await page({ first: 2, after: p3.pageInfo.endCursor })
    assert.deepEqual(empty, { totalCount: 5, edges: [], pageInfo: { hasNextPage: false, endCursor: null } })
  })

  test('an exact page reports no next page', async () => {
    const all = await page({ first: 5 })
    assert.equal(all.edges.length, 5)
    assert.equal(all.pageInfo.hasNextPage, false)
  })

  test('cursors are opaque: no token id, no timestamp in clear', async () => {
    const p1 = await page({ first: 5 })
    for (const e of p1.edges) {
      assert.match(e.cursor, /^[A-Za-z0-9_-]+$/)
      assert.ok(!e.cursor.includes(e.node.id), 'the cursor shows the id in clear')
      assert.doesNotMatch(e.cursor, /\d{13}/)
    }
  })

  test('a cursor of another list does not widen the caller: a non-root token pages only its app', async () => {
    const reader = await issue(server, { appId: app.id, scopes: ['tokens:read'] })
    const rootCursor = dataOf(await server.gql('{ tokens(first: 1) { pageInfo { endCursor } } }')).tokens.pageInfo.endCursor
    const seen = dataOf(
      await server.gql('query($a: String) { tokens(first: 100, after: $a) { edges { node { app { id } } } } }', { token: reader.secret, variables: { a: rootCursor } }),
    ).tokens
    assert.ok(seen.edges.every((e: any) => e.node.app.id === app.id))
  })

  test('pages stay stable while tokens are inserted between fetches: no duplicates, no skips', async () => {
    const stable = await createApp(server, { name: 'stable', allowedScopes: ['tokens:read'] })
    const original: string[] = []
    for (let i = 0; i < 5; i++) {
      original.push((await issue(server, { appId: stable.id, scopes: ['tokens:read'] })).id)
      server.advance(1)
    }
    const seen: string[] = []
    const inserted: string[] = []
    let after: string | null = null
    let total = 0
    do {
      const p: any = dataOf(await server.gql(PAGE, { variables: { appId: stable.id, first: 2, after } })).tokens
      seen.push(...p.edges.map((e: any) => e.node.id))
      after = p.pageInfo.hasNextPage ? p.pageInfo.endCursor : null
      total = p.totalCount
      // Another client inserts a token between two page fetches.
      if (inserted.length < 3) inserted.push((await issue(server, { appId: stable.id, scopes: ['tokens:read'] })).id)
    } while (after !== null)
    assert.equal(new Set(seen).size, seen.length, 'a token was listed twice')
    for (const id of original) assert.ok(seen.includes(id), `token ${id} was skipped`)
    assert.deepEqual(seen.slice(0, 5), original)
    assert.ok(total >= 5)
  })

  describe('status filter', () => {
    let filtered: { id: string }
    let active: string
    let expired: string
    let revoked: string

    before(async () => {
      filtered = await createApp(server, { name: 'filtered', allowedScopes: ['tokens:read'] })
      active = (await issue(server, { appId: filtered.id, scopes: ['tokens:read'], expiresIn: 'P1D' })).id
      expired = (await issue(server, { appId: filtered.id, scopes: ['tokens:read'], expiresIn: 'PT1M' })).id
      revoked = (await issue(server, { appId: filtered.id, scopes: ['tokens:read'], expiresIn: 'PT1M' })).id
      dataOf(await server.gql(REVOKE, { variables: { id: revoked } }))
      server.advance(2 * 60_000)
    })

    for (const [status, expected] of [
      ['ACTIVE', () => [active]],
      ['EXPIRED', () => [expired]],
      ['REVOKED', () => [revoked]],
    ] as const) {
      test(`status: ${status} lists exactly the ${status.toLowerCase()} tokens, and totalCount agrees`, async () => {
        const p = await page({ appId: filtered.id, status })
        assert.deepEqual(
          p.edges.map((e: any) => e.node.id),
          expected(),
        )
        assert.ok(p.edges.every((e: any) => e.node.status === status))
        assert.equal(p.totalCount, 1)
      })
    }

    test('no status lists every token of the app', async () => {
      const p = await page({ appId: filtered.id })
      assert.deepEqual(new Set(p.edges.map((e: any) => e.node.id)), new Set([active, expired, revoked]))
      assert.equal(p.totalCount, 3)
    })

    test('an unknown status is refused by the schema', async () => {
      const result = await server.gql('{ tokens(status: DELETED) { totalCount } }')
      assert.equal(result.status, 400)
      assert.deepEqual(
        result.body.errors?.map((e) => e.extensions?.code),
        ['GRAPHQL_VALIDATION_FAILED'],
      )
    })
  })

  test('apps paginate the same way', async () => {
    const p1 = dataOf(await server.gql('{ apps(first: 2) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }')).apps
    assert.equal(p1.edges.length, 2)
    assert.equal(p1.pageInfo.hasNextPage, true)
    const rest = dataOf(
      await server.gql('query($a: String) { apps(first: 100, after: $a) { edges { node { id } } pageInfo { hasNextPage } } }', { variables: { a: p1.pageInfo.endCursor } }),
    ).apps
    const all = [...p1.edges, ...rest.edges].map((e: any) => e.node.id)
    assert.equal(new Set(all).size, all.length)
    assert.equal(all.length, p1.totalCount)
  })

  test('the audit log paginates without duplicates while events are appended', async () => {
    const seen: string[] = []
    let after: string | null = null
    let appended = 0
    do {
      const p: any = dataOf(
        await server.gql('query($a: String) { auditEvents(first: 3, after: $a) { edges { node { id } } pageInfo { hasNextPage endCursor } } }', { variables: { a: after } }),
      ).auditEvents
      seen.push(...p.edges.map((e: any) => e.node.id))
      after = p.pageInfo.hasNextPage ? p.pageInfo.endCursor : null
      if (appended++ < 2) await issue(server, { appId: app.id, scopes: ['tokens:read'] })
    } while (after !== null)
    assert.equal(new Set(seen).size, seen.length)
  })
})
