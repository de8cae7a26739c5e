// Expiry announcements with two instances on one PostgreSQL, both sweeping every 10 ms and racing
// for the same tokens: each (token, threshold) is announced once, cluster-wide (one audit event,
// one subscription event), with no webhook configured.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { dataOf, issue, startServer, type TestServer } from '../e2e/harness.js'
import { eventsOf, openLive, TOKEN_EVENTS, type LiveSocket } from '../e2e/live-client.js'
import type { PgStore } from '../../src/store/pg-store.js'
import { createTestDatabase, pgUnavailable } from '../store/fresh-pg-database.js'
import { waitFor } from '../wait-for.js'

const unavailable = await pgUnavailable()
if (unavailable) process.stdout.write(`# skipping the expiry events suite: ${unavailable}\n`)

const WAIT = { timeoutMs: 15_000 }
const DAY = 24 * 3600_000
const TOKENS = 20
const ENV = { SCOPEWARD_WEBHOOK_SWEEP: '10', SCOPEWARD_SUBSCRIPTION_POLL_MS: '50' }

describe('expiry announcements across two instances on one PostgreSQL', { skip: unavailable ?? false }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let a: TestServer
  let b: TestServer
  let socket: LiveSocket

  before(async () => {
    database = await createTestDatabase()
    a = await startServer({ dbPath: database.url, env: ENV })
    await (a.app.store as PgStore).listening()
    b = await startServer({ dbPath: database.url, rootToken: a.rootToken, env: ENV })
    await (b.app.store as PgStore).listening()
  })
  after(async () => {
    await socket?.close()
    await a?.stop()
    await b?.stop()
    await database?.drop()
  })

  test('each token is warned once and expired once, however many instances sweep', async () => {
    socket = await openLive(b, { token: a.rootToken })
    socket.subscribe('1', TOKEN_EVENTS)
    const probes = new Set<string>()
    await waitFor(
      async () => {
        probes.add((await issue(b, { name: 'probe', scopes: ['tokens:read'], expiresIn: 'P60D' })).id)
        return eventsOf(socket.received('1')).some((e) => probes.has(e.data.tokenId))
      },
      { ...WAIT, intervalMs: 50, what: 'the subscription on B listening' },
    )
    const ids = new Set<string>()
    for (let i = 0; i < TOKENS; i++) ids.add((await issue(i % 2 ? a : b, { name: `soon ${i}`, scopes: ['tokens:read'], expiresIn: 'P2D' })).id)
    const of = (type: string) => eventsOf(socket.received('1')).filter((e) => e.type === type && ids.has(e.data.tokenId))
    await waitFor(() => of('TOKEN_EXPIRING').length >= TOKENS, { ...WAIT, what: 'every warning' })
    a.advance(3 * DAY)
    b.advance(3 * DAY)
    await waitFor(() => of('TOKEN_EXPIRED').length >= TOKENS, { ...WAIT, what: 'every expiry' })
    // More sweeps of both run; a marker issued after them arrives with nothing repeated before it.
    await new Promise((resolve) => setTimeout(resolve, 300))
    const marker = await issue(a, { name: 'marker', scopes: ['tokens:read'], expiresIn: 'P60D' })
    await waitFor(() => eventsOf(socket.received('1')).some((e) => e.data.tokenId === marker.id), { ...WAIT, what: 'the marker' })

    for (const type of ['TOKEN_EXPIRING', 'TOKEN_EXPIRED']) {
      const tokens = of(type).map((e) => e.data.tokenId)
      assert.equal(tokens.length, TOKENS, `${type}: one event per token`)
      assert.deepEqual(new Set(tokens), ids)
    }
    for (const action of ['token.expiring', 'token.expired']) {
      const audited = dataOf(await a.gql('query ($action: String!) { auditEvents(action: $action, first: 100) { edges { node { target } } } }', { variables: { action } }))
      const targets = audited.auditEvents.edges.map((e: any) => e.node.target).filter((t: string) => ids.has(t))
      assert.equal(targets.length, TOKENS, `${action}: one audit event per token`)
    }
  })
})
