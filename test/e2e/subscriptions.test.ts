// GraphQL subscriptions over WebSocket (graphql-ws on /graphql), black-box against a real server
// on a random port: token events as they commit, the app boundary, authentication at
// connection_init, the 4403 close when the subscriber's own token dies or loses its scope, the
// socket limits, the Origin check and a clean shutdown (docs/subscriptions.md).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createApp, dataOf, DERIVE, issue, REVOKE, ROTATE, startServer, type TestServer } from './harness.js'
import { eventsOf, openLive, TOKEN_EVENTS, type LiveSocket } from './live-client.js'
import { waitFor } from '../wait-for.js'

const WAIT = { timeoutMs: 10_000 }

/**
 * Issues probe tokens (with `probe`) until subscription `id` has received one: from then on the
 * subscription is listening, so every later write reaches it. Returns the probes' ids.
 */
async function primed(socket: LiveSocket, id: string, probe: () => Promise<string>): Promise<Set<string>> {
  const probes = new Set<string>()
  await waitFor(
    async () => {
      probes.add(await probe())
      return eventsOf(socket.received(id)).some((e) => probes.has(e.data.tokenId))
    },
    { ...WAIT, intervalMs: 50, what: `subscription ${id} listening` },
  )
  return probes
}

/** The events of subscription `id` about tokens other than the probes. */
const eventsBesides = (socket: LiveSocket, id: string, probes: Set<string>) => eventsOf(socket.received(id)).filter((e) => !probes.has(e.data.tokenId))

describe('tokenEvents over WebSocket', () => {
  let server: TestServer
  const sockets: LiveSocket[] = []
  const live = async (...args: Parameters<typeof openLive> extends [unknown, ...infer R] ? R : never) => {
    const socket = await openLive(server, ...args)
    sockets.push(socket)
    return socket
  }

  before(async () => {
    server = await startServer({ env: { SCOPEWARD_SUBSCRIPTIONS_PER_TOKEN: '2', SCOPEWARD_SUBSCRIPTIONS_PER_ADDRESS: '1000', SCOPEWARD_CORS_ORIGINS: 'https://console.example' } })
  })
  after(async () => {
    for (const s of sockets) await s.close()
    await server.stop()
  })

  test('each event a subscription receives counts as a use of its scope (a token used only to listen is not idle)', async () => {
    const listener = await issue(server, { name: 'listener', scopes: ['tokens:read'] })
    const socket = await live({ authorization: `Bearer ${listener.secret}` })
    socket.subscribe('u', TOKEN_EVENTS)
    await primed(socket, 'u', async () => (await issue(server, { name: 'probe', scopes: ['tokens:read'] })).id)
    const uses = async () => {
      await server.app.usage.flush()
      const usage = dataOf(await server.gql(`{ token(id: "${listener.id}") { scopeUsage { scope count } } }`)).token.scopeUsage as { scope: string; count: number }[]
      return usage.find((u) => u.scope === 'tokens:read')?.count ?? 0
    }
    const before = await uses()
    const received = eventsOf(socket.received('u')).length
    for (let i = 0; i < 3; i++) await issue(server, { name: `later ${i}`, scopes: ['tokens:read'] })
    await waitFor(() => eventsOf(socket.received('u')).length >= received + 3, { ...WAIT, what: 'three more events' })
    assert.ok((await uses()) >= before + 3, 'each delivered event counted')
  })

  test('a root subscriber receives issue and revoke events, one TOKEN_REVOKED per token of a cascade, and no secret', async () => {
    const watcher = await issue(server, { name: 'watcher', scopes: ['tokens:read'] })
    const socket = await live({ authorization: `Bearer ${watcher.secret}` })
    socket.subscribe('1', TOKEN_EVENTS)
    const probes = await primed(socket, '1', async () => (await issue(server, { name: 'probe', scopes: ['tokens:read'] })).id)

    const parent = await issue(server, { name: 'parent', scopes: ['tokens:read', 'tokens:write'] })
    const child = dataOf(await server.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'child', scopes: ['tokens:read'] } } })).deriveToken
    dataOf(await server.gql(REVOKE, { variables: { id: parent.id, reason: 'leaked' } }))
    const events: any[] = await waitFor(
      () => {
        const seen = eventsBesides(socket, '1', probes)
        return seen.filter((e) => e.type === 'TOKEN_REVOKED').length >= 2 ? seen : null
      },
      { ...WAIT, what: 'the cascade events' },
    )

    assert.deepEqual(
      events.map((e) => [e.type, e.data.tokenId]),
      [
        ['TOKEN_ISSUED', parent.id],
        ['TOKEN_ISSUED', child.token.id],
        ['TOKEN_REVOKED', parent.id],
        ['TOKEN_REVOKED', child.token.id],
      ],
    )
    const revoked = events.filter((e) => e.type === 'TOKEN_REVOKED')
    for (const e of revoked) {
      assert.equal(e.data.reason, 'leaked')
      assert.equal(e.data.revokedWith, parent.id)
    }
    // One audit event, two token events: distinct ids, the same audit event and seq.
    assert.notEqual(revoked[0].id, revoked[1].id)
    assert.equal(revoked[0].data.auditEventId, revoked[1].data.auditEventId)
    assert.ok(!Number.isNaN(Date.parse(events[0].timestamp)))
    const text = JSON.stringify(socket.messages)
    for (const secret of [parent.secret, child.secret, watcher.secret]) assert.ok(!text.includes(secret), 'no secret in any message')
  })

  test('rotation, app disable and enable, and a key rotation arrive as their events; an emergency rotation revokes each JWT by name', async () => {
    const socket = await live({ token: server.rootToken })
    socket.subscribe('1', TOKEN_EVENTS, { types: ['TOKEN_ROTATED', 'APP_DISABLED', 'APP_ENABLED', 'KEY_ROTATED', 'TOKEN_REVOKED', 'TOKEN_ISSUED'] })
    const probes = await primed(socket, '1', async () => (await issue(server, { name: 'probe', scopes: ['tokens:read'] })).id)
    const old = await issue(server, { name: 'old', scopes: ['tokens:read'] })
    const successor = dataOf(await server.gql(ROTATE, { variables: { id: old.id } })).rotateToken
    const app = await createApp(server, { name: 'toggled', allowedScopes: ['tokens:read'] })
    dataOf(await server.gql('mutation ($id: ID!) { disableApp(id: $id) { id } }', { variables: { id: app.id } }))
    dataOf(await server.gql('mutation ($id: ID!) { enableApp(id: $id) { id } }', { variables: { id: app.id } }))
    const jwt = await issue(server, { name: 'jwt', scopes: ['tokens:read'], kind: 'JWT' })
    dataOf(await server.gql('mutation { rotateSigningKey(revokeOld: true) { kid } }'))
    const events = await waitFor(
      () => {
        const seen = eventsBesides(socket, '1', probes)
        return seen.some((e) => e.type === 'KEY_ROTATED') && seen.some((e) => e.type === 'TOKEN_REVOKED') ? seen : null
      },
      { ...WAIT, what: 'the key rotation' },
    )
    assert.deepEqual(
      events.map((e) => [e.type, e.data.tokenId, e.data.appId]),
      [
        ['TOKEN_ISSUED', old.id, old.token.app.id],
        ['TOKEN_ROTATED', old.id, old.token.app.id],
        ['APP_DISABLED', null, app.id],
        ['APP_ENABLED', null, app.id],
        ['TOKEN_ISSUED', jwt.id, jwt.token.app.id],
        ['KEY_ROTATED', null, null],
        ['TOKEN_REVOKED', jwt.id, jwt.token.app.id],
      ],
    )
    assert.equal(events[1].data.successorId, successor.token.id)
  })

  test('an app token sees only its own app’s events; types narrows them; another app’s id is NOT_FOUND', async () => {
    const mine = await createApp(server, { name: 'mine', allowedScopes: ['tokens:read', 'tokens:write'] })
    const other = await createApp(server, { name: 'other', allowedScopes: ['tokens:read', 'tokens:write'] })
    const reader = await issue(server, { appId: mine.id, name: 'reader', scopes: ['tokens:read'] })
    const socket = await live({ token: reader.secret })
    socket.subscribe('all', TOKEN_EVENTS)
    socket.subscribe('revocations', TOKEN_EVENTS, { types: ['TOKEN_REVOKED'] })
    socket.subscribe('theirs', TOKEN_EVENTS, { appId: other.id })
    const probe = async () => (await issue(server, { appId: mine.id, name: 'probe', scopes: ['tokens:read'] })).id
    const probes = await primed(socket, 'all', probe)

    const theirs = await issue(server, { appId: other.id, name: 'theirs', scopes: ['tokens:read'] })
    dataOf(await server.gql(REVOKE, { variables: { id: theirs.id } }))
    const ours = await issue(server, { appId: mine.id, name: 'ours', scopes: ['tokens:read'] })
    dataOf(await server.gql(REVOKE, { variables: { id: ours.id } }))
    // Events arrive in commit order: once ours is revoked, theirs would have arrived before it.
    await waitFor(() => eventsOf(socket.received('revocations')).some((e) => e.data.tokenId === ours.id), { ...WAIT, what: 'our revocation' })
    await waitFor(() => eventsBesides(socket, 'all', probes).some((e) => e.type === 'TOKEN_REVOKED'), { ...WAIT, what: 'our revocation on all' })

    assert.deepEqual(
      eventsBesides(socket, 'all', probes).map((e) => [e.type, e.data.tokenId, e.data.appId]),
      [
        ['TOKEN_ISSUED', ours.id, mine.id],
        ['TOKEN_REVOKED', ours.id, mine.id],
      ],
    )
    assert.deepEqual(
      eventsOf(socket.received('revocations')).map((e) => [e.type, e.data.tokenId]),
      [['TOKEN_REVOKED', ours.id]],
    )
    const refused = socket.received('theirs')
    assert.equal(refused[0]?.type, 'next')
    assert.equal(refused[0]?.payload.errors[0].extensions.code, 'NOT_FOUND')
    assert.equal(refused[0]?.payload.data, null)
    assert.ok(!JSON.stringify(socket.messages).includes(theirs.id), 'nothing of the other app')
  })

  test('a token without tokens:read is refused by the directive engine, and nothing opens', async () => {
    const writer = await issue(server, { name: 'apps only', scopes: ['apps:read'] })
    const socket = await live({ authorization: `Bearer ${writer.secret}` })
    assert.ok(socket.messages.some((m) => m.type === 'connection_ack'))
    socket.subscribe('1', TOKEN_EVENTS)
    const answer = await waitFor(() => socket.received('1')[0], { ...WAIT, what: 'the refusal' })
    assert.equal(answer.type, 'error')
    assert.equal(answer.payload[0].extensions.code, 'FORBIDDEN')
    assert.deepEqual(answer.payload[0].extensions.missingScopes, ['tokens:read'])
    // Refused whole: a later event is not delivered to it.
    await issue(server, { name: 'after', scopes: ['tokens:read'] })
    assert.equal(socket.received('1').length, 1)
  })

  test('queries and mutations are not served over the socket; a malformed document is a clear error', async () => {
    const socket = await live({ authorization: `Bearer ${server.rootToken}` })
    socket.subscribe('q', '{ viewer { id } }')
    socket.subscribe('bad', 'subscription { tokenEvents { nope } }')
    socket.subscribe('skip', 'subscription { a: tokenEvents @include(if: $x) { type } }')
    const q = await waitFor(() => socket.received('q')[0], { ...WAIT, what: 'the query refusal' })
    const bad = await waitFor(() => socket.received('bad')[0], { ...WAIT, what: 'the validation error' })
    assert.equal(q.type, 'error')
    assert.match(q.payload[0].message, /only subscriptions are served over WebSocket/)
    assert.equal(bad.type, 'error')
    assert.equal(bad.payload[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED')
    const skip = await waitFor(() => socket.received('skip')[0], { ...WAIT, what: 'the @include refusal' })
    assert.equal(skip.type, 'error')
    assert.equal(skip.payload[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED')
  })

  test('a bad, missing or malformed token is refused at connection_init with 4401', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['unknown token', { token: 'sw_live_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ_000000' }],
      ['garbage bearer', { authorization: 'Bearer not a token' }],
      ['no credential', {}],
      ['non-string token', { token: 42 }],
      ['basic scheme', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
    ]
    for (const [what, init] of cases) {
      const socket = await live(init)
      const closed = await socket.closed
      assert.equal(closed.code, 4401, what)
      assert.ok(!socket.messages.some((m) => m.type === 'connection_ack'), what)
    }
  })

  test('a token revoked by a leak report (POST /v1/leaks) reaches subscribers as TOKEN_REVOKED with reason leaked', { timeout: 20_000 }, async () => {
    const watcher = await issue(server, { name: 'leak watcher', scopes: ['tokens:read'] })
    const socket = await live({ token: watcher.secret })
    socket.subscribe('1', TOKEN_EVENTS, { types: ['TOKEN_REVOKED'] })
    await primed(socket, '1', async () => {
      const probe = await issue(server, { name: 'probe', scopes: ['tokens:read'] })
      dataOf(await server.gql(REVOKE, { variables: { id: probe.id } }))
      return probe.id
    })
    const leaked = await issue(server, { name: 'leaked', scopes: ['tokens:read'] })
    const res = await fetch(`${server.url}/v1/leaks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.rootToken}` },
      body: JSON.stringify({ token: leaked.secret }),
    })
    assert.equal(res.status, 200)
    const event = await waitFor(() => eventsOf(socket.received('1')).find((e) => e.data.tokenId === leaked.id) ?? null, { ...WAIT, what: 'the leaked token revoked' })
    assert.equal(event.type, 'TOKEN_REVOKED')
    assert.equal(event.data.reason, 'leaked')
    assert.equal(event.data.revokedWith, leaked.id)
  })

  test('a subscriber whose token is revoked is disconnected with 4403', async () => {
    const token = await issue(server, { name: 'doomed', scopes: ['tokens:read', 'tokens:write'] })
    const socket = await live({ token: token.secret })
    socket.subscribe('1', TOKEN_EVENTS)
    await primed(socket, '1', async () => (await issue(server, { name: 'probe', scopes: ['tokens:read'] })).id)
    dataOf(await server.gql(REVOKE, { variables: { id: token.id } }))
    assert.deepEqual(await socket.closed, { code: 4403, reason: 'Forbidden' })
    // It never hears of its own revocation: the socket closes before the event would be delivered.
    assert.ok(!eventsOf(socket.received('1')).some((e) => e.data.tokenId === token.id && e.type === 'TOKEN_REVOKED'))
  })

  test('a subscriber on a rotated-out secret in its grace is disconnected with 4403 when the successor is revoked', { timeout: 20_000 }, async () => {
    const old = await issue(server, { name: 'rotated subscriber', scopes: ['tokens:read', 'tokens:write'] })
    const successor = dataOf(await server.gql(ROTATE, { variables: { id: old.id, grace: 'PT1H' } })).rotateToken
    const socket = await live({ token: old.secret })
    socket.subscribe('1', TOKEN_EVENTS)
    await primed(socket, '1', async () => (await issue(server, { name: 'probe', scopes: ['tokens:read'] })).id)
    dataOf(await server.gql(REVOKE, { variables: { id: successor.token.id, reason: 'leaked' } }))
    assert.deepEqual(await socket.closed, { code: 4403, reason: 'Forbidden' })
  })

  test('a subscriber whose token expires, or whose app loses tokens:read, is disconnected with 4403', async () => {
    const shortLived = await issue(server, { name: 'short', scopes: ['tokens:read'], expiresIn: 'PT1H' })
    const expiring = await live({ token: shortLived.secret })
    expiring.subscribe('1', TOKEN_EVENTS)
    const app = await createApp(server, { name: 'narrowed', allowedScopes: ['tokens:read', 'apps:read'] })
    const member = await issue(server, { appId: app.id, name: 'member', scopes: ['tokens:read'] })
    const narrowed = await live({ token: member.secret })
    narrowed.subscribe('1', TOKEN_EVENTS)
    await primed(narrowed, '1', async () => (await issue(server, { appId: app.id, name: 'probe', scopes: ['tokens:read'] })).id)

    server.advance(2 * 3_600_000)
    assert.equal((await expiring.closed).code, 4403)
    server.advance(-2 * 3_600_000)
    dataOf(await server.gql('mutation ($id: ID!) { updateApp(id: $id, input: { allowedScopes: ["apps:read"] }) { id } }', { variables: { id: app.id } }))
    assert.equal((await narrowed.closed).code, 4403)
  })

  test('past SCOPEWARD_SUBSCRIPTIONS_PER_TOKEN sockets, the next is closed with 4429; closing one frees its place', async () => {
    const token = await issue(server, { name: 'busy', scopes: ['tokens:read'] })
    const first = await live({ token: token.secret })
    await live({ token: token.secret })
    const third = await live({ token: token.secret })
    assert.equal((await third.closed).code, 4429)
    await first.close()
    const again = await waitFor(
      async () => {
        const s = await live({ token: token.secret })
        return s.messages.some((m) => m.type === 'connection_ack') && s
      },
      { ...WAIT, what: 'a place freed' },
    )
    assert.ok(again)
  })

  test('a browser page of a foreign Origin is refused before any WebSocket opens; an allowed one is served', async () => {
    const foreign = await live(undefined, { headers: { origin: 'https://evil.example' } })
    await foreign.closed
    assert.equal(foreign.refusedWith(), 403)
    const browser = await issue(server, { name: 'browser', scopes: ['tokens:read'] })
    const allowed = await live({ token: browser.secret }, { headers: { origin: 'https://console.example' } })
    assert.ok(allowed.messages.some((m) => m.type === 'connection_ack'))
  })

  test('an upgrade on another path is refused with 404', async () => {
    const url = server.url.replace(/^http/, 'ws') + '/oauth/token'
    const { default: WebSocket } = await import('ws')
    const ws = new WebSocket(url, 'graphql-transport-ws')
    const status = await new Promise<number>((done) => {
      ws.on('unexpected-response', (_req, res) => done(res.statusCode ?? 0))
      ws.on('error', () => undefined)
    })
    assert.equal(status, 404)
  })
})

describe('socket limits per address and shutdown', () => {
  test('the first sockets a fresh server receives, opened at once while its endpoint loads, are all served', async () => {
    // The endpoint is loaded on the first upgrade (src/http/deferred-subscriptions.ts): the upgrades that arrive meanwhile wait for it.
    const server = await startServer({ env: { SCOPEWARD_SUBSCRIPTIONS_PER_TOKEN: '10', SCOPEWARD_SUBSCRIPTIONS_PER_ADDRESS: '100' } })
    const sockets = await Promise.all(Array.from({ length: 6 }, () => openLive(server, { token: server.rootToken })))
    try {
      for (const socket of sockets)
        assert.ok(
          socket.messages.some((m) => m.type === 'connection_ack'),
          JSON.stringify(socket.messages),
        )
    } finally {
      for (const socket of sockets) await socket.close()
      await server.stop()
    }
  })

  test('past SCOPEWARD_SUBSCRIPTIONS_PER_ADDRESS, an upgrade is refused with 429', async () => {
    const server = await startServer({ env: { SCOPEWARD_SUBSCRIPTIONS_PER_ADDRESS: '2' } })
    const sockets: LiveSocket[] = []
    try {
      sockets.push(await openLive(server, { token: server.rootToken }), await openLive(server, { token: server.rootToken }))
      const third = await openLive(server)
      sockets.push(third)
      await third.closed
      assert.equal(third.refusedWith(), 429)
    } finally {
      for (const s of sockets) await s.close()
      await server.stop()
    }
  })

  test('the per-address limit counts the client behind a trusted proxy, and ignores X-Forwarded-For from anyone else', async () => {
    const behindProxy = await startServer({ env: { SCOPEWARD_SUBSCRIPTIONS_PER_ADDRESS: '1', SCOPEWARD_TRUSTED_PROXIES: '127.0.0.1' } })
    const direct = await startServer({ env: { SCOPEWARD_SUBSCRIPTIONS_PER_ADDRESS: '1' } })
    const sockets: LiveSocket[] = []
    const open = async (server: TestServer, forwarded: string) => {
      const socket = await openLive(server, undefined, { headers: { 'x-forwarded-for': forwarded } })
      sockets.push(socket)
      return socket
    }
    try {
      // Through the trusted proxy: two clients are two addresses; the same client twice is over its limit.
      assert.equal((await open(behindProxy, '203.0.113.1')).refusedWith(), null)
      assert.equal((await open(behindProxy, '203.0.113.2')).refusedWith(), null)
      const again = await open(behindProxy, '198.51.100.9, 203.0.113.1')
      await again.closed
      assert.equal(again.refusedWith(), 429)
      // Not a trusted proxy: the header is anyone's to write, so both come from 127.0.0.1.
      assert.equal((await open(direct, '203.0.113.1')).refusedWith(), null)
      const spoofed = await open(direct, '203.0.113.2')
      await spoofed.closed
      assert.equal(spoofed.refusedWith(), 429)
    } finally {
      for (const s of sockets) await s.close()
      await behindProxy.stop()
      await direct.stop()
    }
  })

  test('refused connection_inits spend the failed-authentication budget: then the upgrade itself is refused with 429 and Retry-After', async () => {
    const server = await startServer({ env: { SCOPEWARD_AUTH_FAILURES_PER_MINUTE: '2' } })
    try {
      for (let i = 0; i < 2; i++) assert.equal((await (await openLive(server, { token: 'nope' })).closed).code, 4401)
      const refused = await waitFor(
        async (): Promise<LiveSocket | null> => {
          const socket = await openLive(server)
          await socket.close()
          return socket.refusedWith() === 429 ? socket : null
        },
        { ...WAIT, what: 'the throttle' },
      )
      assert.match(String(refused.refusedHeaders()['retry-after']), /^[1-9]\d*$/)
      // HTTP shares the budget: the same address is throttled on POST /graphql too.
      assert.equal((await server.gql('{ viewer { id } }')).status, 429)
    } finally {
      await server.stop()
    }
  })

  test('close() ends open sockets with 1001 and returns', async () => {
    const server = await startServer()
    const socket = await openLive(server, { token: server.rootToken })
    socket.subscribe('1', TOKEN_EVENTS)
    await server.stop()
    assert.deepEqual(await socket.closed, { code: 1001, reason: 'Server shutting down' })
  })
})
