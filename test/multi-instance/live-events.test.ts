// Live token events across instances on one PostgreSQL: a subscriber on B hears what A commits
// (the revocation through A's NOTIFY, an issuance through B's read of the audit log), and a
// subscriber on B whose token A revokes is disconnected with 4403.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { dataOf, issue, REVOKE, startServer, type TestServer } from '../e2e/harness.js'
import { eventsOf, openLive, TOKEN_EVENTS, type LiveSocket } from '../e2e/live-client.js'
import type { PgStore } from '../../src/store/pg-store.js'
import { createTestDatabase, pgUnavailable } from '../store/fresh-pg-database.js'
import { waitFor } from '../wait-for.js'

const unavailable = await pgUnavailable()
if (unavailable) process.stdout.write(`# skipping the live events suite: ${unavailable}\n`)

const WAIT = { timeoutMs: 10_000 }

describe('token events across two instances on one PostgreSQL', { skip: unavailable ?? false }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let a: TestServer
  let b: TestServer
  const sockets: LiveSocket[] = []

  before(async () => {
    database = await createTestDatabase()
    a = await startServer({ dbPath: database.url })
    await (a.app.store as PgStore).listening()
    // B polls the log rarely: what reaches it within the test's wait comes by notice.
    b = await startServer({ dbPath: database.url, rootToken: a.rootToken, env: { SCOPEWARD_SUBSCRIPTION_POLL_MS: '60000' } })
    await (b.app.store as PgStore).listening()
  })
  after(async () => {
    for (const s of sockets) await s.close()
    await a?.stop()
    await b?.stop()
    await database?.drop()
  })

  test('a revocation on A arrives at a subscriber on B, and its issuance before it', async () => {
    const socket = await openLive(b, { token: a.rootToken })
    sockets.push(socket)
    socket.subscribe('1', TOKEN_EVENTS)
    // Primed on B's own writes (delivered at once): from then on B's subscription listens.
    const probes = new Set<string>()
    await waitFor(
      async () => {
        probes.add((await issue(b, { name: 'probe', scopes: ['tokens:read'] })).id)
        return eventsOf(socket.received('1')).some((e) => probes.has(e.data.tokenId))
      },
      { ...WAIT, intervalMs: 50, what: 'the subscription on B listening' },
    )
    const token = await issue(a, { name: 'on A', scopes: ['tokens:read'] })
    dataOf(await a.gql(REVOKE, { variables: { id: token.id, reason: 'from A' } }))
    const seen = await waitFor(
      () => {
        const mine = eventsOf(socket.received('1')).filter((e) => e.data.tokenId === token.id)
        return mine.some((e) => e.type === 'TOKEN_REVOKED') ? mine : null
      },
      { ...WAIT, what: 'A’s revocation on B' },
    )
    // The revocation's NOTIFY makes B read the log: the issuance that preceded it comes first.
    assert.deepEqual(
      seen.map((e) => [e.type, e.data.reason]),
      [
        ['TOKEN_ISSUED', null],
        ['TOKEN_REVOKED', 'from A'],
      ],
    )
  })

  test('a subscriber on B whose token is revoked on A is disconnected with 4403', async () => {
    const token = await issue(a, { name: 'watcher', scopes: ['tokens:read'] })
    const socket = await openLive(b, { token: token.secret })
    sockets.push(socket)
    assert.ok(socket.messages.some((m) => m.type === 'connection_ack'))
    socket.subscribe('1', TOKEN_EVENTS)
    dataOf(await a.gql(REVOKE, { variables: { id: token.id } }))
    assert.equal((await socket.closed).code, 4403)
  })
})
