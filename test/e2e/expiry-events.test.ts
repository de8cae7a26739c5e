// Expiry announcements reach subscribers with no webhook configured: the sweeper records each
// (token, threshold) once as an audit event (docs/subscriptions.md), which the tokenEvents feed
// reads like any other. Black-box: a real server sweeping every 20 ms, its clock moved forward.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createApp, dataOf, issue, startServer, type TestServer } from './harness.js'
import { eventsOf, openLive, TOKEN_EVENTS, type LiveSocket } from './live-client.js'
import { waitFor } from '../wait-for.js'

const WAIT = { timeoutMs: 10_000 }
const DAY = 24 * 3600_000
const EXPIRY = new Set(['TOKEN_EXPIRING', 'TOKEN_EXPIRED'])

/** The expiry events subscription `id` received, as [type, tokenId, appId]. */
const expiryEvents = (socket: LiveSocket, id: string) =>
  eventsOf(socket.received(id))
    .filter((e) => EXPIRY.has(e.type))
    .map((e) => [e.type, e.data.tokenId, e.data.appId])

describe('tokenEvents: TOKEN_EXPIRING and TOKEN_EXPIRED without any webhook', () => {
  let server: TestServer
  const sockets: LiveSocket[] = []

  before(async () => {
    server = await startServer({ env: { SCOPEWARD_WEBHOOK_SWEEP: '20', SCOPEWARD_SUBSCRIPTIONS_PER_ADDRESS: '1000' } })
  })
  after(async () => {
    for (const s of sockets) await s.close()
    await server.stop()
  })

  test('a subscriber hears each warning and each expiry once, and an app token only its own app’s', async () => {
    assert.deepEqual(dataOf(await server.gql('{ webhooks { id } }')).webhooks, [], 'no webhook exists')
    const mine = await createApp(server, { allowedScopes: ['tokens:read'] })
    const other = await createApp(server, { allowedScopes: ['tokens:read'] })
    const reader = await issue(server, { appId: mine.id, name: 'reader', scopes: ['tokens:read'], expiresIn: 'P60D' })
    const root = await openLive(server, { token: server.rootToken })
    const app = await openLive(server, { token: reader.secret })
    sockets.push(root, app)
    root.subscribe('1', TOKEN_EVENTS)
    app.subscribe('1', TOKEN_EVENTS)
    // Both listen once each has heard a probe's issue (a new subscriber hears only what commits after it started).
    const probes = new Set<string>()
    await waitFor(
      async () => {
        probes.add((await issue(server, { appId: mine.id, name: 'probe', scopes: ['tokens:read'], expiresIn: 'P60D' })).id)
        return [root, app].every((s) => eventsOf(s.received('1')).some((e) => probes.has(e.data.tokenId)))
      },
      { ...WAIT, intervalMs: 50, what: 'both subscriptions listening' },
    )

    const ours = await issue(server, { appId: mine.id, name: 'ours', scopes: ['tokens:read'], expiresIn: 'P2D' })
    const theirs = await issue(server, { appId: other.id, name: 'theirs', scopes: ['tokens:read'], expiresIn: 'P2D' })
    const far = await issue(server, { appId: mine.id, name: 'far', scopes: ['tokens:read'], expiresIn: 'P30D' })
    await waitFor(() => expiryEvents(root, '1').length >= 2, { ...WAIT, what: 'two warnings' })
    server.advance(3 * DAY)
    await waitFor(() => expiryEvents(root, '1').length >= 4, { ...WAIT, what: 'two expiries' })
    // Once, still: more sweeps run; a marker issued after them arrives with nothing repeated before it.
    await new Promise((resolve) => setTimeout(resolve, 300))
    const marker = await issue(server, { appId: mine.id, name: 'marker', scopes: ['tokens:read'], expiresIn: 'P60D' })
    await waitFor(() => [root, app].every((s) => eventsOf(s.received('1')).some((e) => e.data.tokenId === marker.id)), { ...WAIT, what: 'the marker' })

    const sorted = (rows: string[][]) => rows.map((r) => r.join(' ')).sort()
    assert.deepEqual(
      sorted(expiryEvents(root, '1').filter(([, id]) => id !== far.id && !probes.has(id))),
      sorted([
        ['TOKEN_EXPIRED', ours.id, mine.id],
        ['TOKEN_EXPIRED', theirs.id, other.id],
        ['TOKEN_EXPIRING', ours.id, mine.id],
        ['TOKEN_EXPIRING', theirs.id, other.id],
      ]),
      'root: each token warned once (the nearest threshold, 7 days) and expired once',
    )
    assert.ok(!expiryEvents(root, '1').some(([, id]) => id === far.id), 'a token 27 days from expiry is not warned')
    assert.deepEqual(
      expiryEvents(app, '1').filter(([, id]) => !probes.has(id)),
      [
        ['TOKEN_EXPIRING', ours.id, mine.id],
        ['TOKEN_EXPIRED', ours.id, mine.id],
      ],
      'an app token hears only its own app’s tokens, in order',
    )
    const warning = eventsOf(app.received('1')).find((e) => e.type === 'TOKEN_EXPIRING')
    const audited = dataOf(
      await server.gql('query ($id: String!) { auditEvents(action: "token.expiring", target: $id, first: 10) { edges { node { id action } } } }', { variables: { id: ours.id } }),
    )
    assert.deepEqual(
      audited.auditEvents.edges.map((e: any) => [e.node.id, e.node.action]),
      [[warning.data.auditEventId, 'token.expiring']],
      'the warning is one audit event',
    )
  })
})

describe('the expiry sweeper under a lowered lifetime policy', () => {
  test('a token the instance policy already ended is not announced as expiring (it is not ACTIVE)', async () => {
    // Issued before the policy was lowered: its row keeps a 2-day expiry, 12 hours past what the policy allows.
    const first = await startServer({ keep: true })
    const ended = await issue(first, { name: 'ended', scopes: ['tokens:read'], expiresIn: 'P2D' })
    await first.stop()
    const server = await startServer({ dbPath: first.dbPath, rootToken: first.rootToken, env: { SCOPEWARD_MAX_TOKEN_LIFETIME: 'P1D' }, offset: 1.5 * DAY })
    try {
      assert.equal((await server.gql('{ viewer { id } }', { token: ended.secret })).status, 401, 'the policy ended it')
      const { ExpirySweeper } = await import('../../src/webhooks/expiry-sweeper.js')
      const { webhookConfig } = await import('../../src/webhooks/settings.js')
      const { createLogger } = await import('../../src/logger.js')
      await new ExpirySweeper(server.app.domain, webhookConfig({}), createLogger('silent')).sweep()
      const announced = await server.app.store.listAuditEvents({ action: 'token.expiring', target: ended.id, limit: 10 })
      assert.deepEqual(announced.rows, [], 'no expiring warning for a token already ended')
    } finally {
      await server.stop()
      await first.discard()
    }
  })
})
