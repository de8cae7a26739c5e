// The audit log over GraphQL carries its chain: each event's seq and hash, so a client paging
// through auditEvents can recompute the links itself; subscriptions are refused over HTTP.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { auditHash, GENESIS_HASH } from '../../src/domain/audit-hash.js'
import { dataOf, issue, startServer, type TestServer } from './harness.js'

const PAGE = `query Page($after: String, $from: DateTime, $to: DateTime) {
  auditEvents(first: 3, after: $after, from: $from, to: $to) {
    edges { cursor node { seq hash id at actor appId action target requestId ip details } }
    pageInfo { hasNextPage endCursor }
  }
}`

/** The stored details back from the API's: the chain hashes instants as epoch ms, the API shows them as ISO 8601 (keys ending in `At`). */
function storedDetails(details: Record<string, unknown>): Record<string, unknown> {
  const convert = (key: string, value: unknown): unknown => {
    if (typeof value === 'string' && key.endsWith('At') && /^\d{4}-\d{2}-\d{2}T/.test(value)) return Date.parse(value)
    if (Array.isArray(value)) return value.map((v) => convert(key, v))
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(k, v)]))
    return value
  }
  return convert('', details) as Record<string, unknown>
}

describe('auditEvents with the chain', () => {
  let server: TestServer
  before(async () => {
    server = await startServer()
    for (let i = 0; i < 5; i++) await issue(server, { name: `t${i}`, scopes: ['tokens:read'] })
  })
  after(() => server.stop())

  test('paging through every event, each hash links its content to the previous one', async () => {
    const nodes: any[] = []
    let cursor: string | null = null
    for (;;) {
      const page: any = dataOf(await server.gql(PAGE, { variables: { after: cursor } })).auditEvents
      nodes.push(...page.edges.map((e: any) => e.node))
      if (!page.pageInfo.hasNextPage) break
      cursor = page.pageInfo.endCursor
    }
    assert.ok(nodes.length >= 6)
    assert.deepEqual(
      nodes.map((n) => n.seq),
      nodes.map((_, i) => i + 1),
    )
    let previous = GENESIS_HASH
    for (const { seq: _seq, hash, at, details, ...rest } of nodes) {
      assert.equal(auditHash(previous, { ...rest, at: Date.parse(at), details: storedDetails(details) }), hash)
      previous = hash
    }
    // The last link is the log's head: what `scopeward audit head` prints.
    assert.equal(previous, await server.app.store.getMeta('audit_head'))
  })

  test('from and to select a window (from inclusive, to exclusive)', async () => {
    const all: any[] = dataOf(await server.gql(PAGE)).auditEvents.edges.map((e: any) => e.node)
    const window = dataOf(await server.gql(PAGE, { variables: { from: all[1].at, to: all[2].at } })).auditEvents.edges.map((e: any) => e.node.seq)
    assert.ok(window.includes(2) && !window.includes(3))
  })

  test('a token without audit:read gets no event and no hash', async () => {
    const reader = await issue(server, { name: 'reader', scopes: ['tokens:read'] })
    const result = await server.gql(PAGE, { token: reader.secret })
    assert.equal(result.body.data?.auditEvents, null)
    assert.equal(result.body.errors?.[0]?.extensions?.code, 'FORBIDDEN')
  })

  test('a subscription sent over HTTP is refused, and nothing is opened', async () => {
    const result = await server.gql('subscription { tokenEvents { type } }')
    // The HTTP schema has no Subscription root: the operation names nothing it can run.
    assert.equal(result.status, 400)
    assert.equal(result.body.errors?.[0]?.extensions?.code, 'OPERATION_RESOLUTION_FAILURE')
    assert.equal(result.body.data, undefined)
  })
})
