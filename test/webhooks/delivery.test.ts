// Webhooks end to end: the real server on a fresh database, a real receiver on 127.0.0.1 (private
// addresses allowed here, refused in test/webhooks/ssrf.test.ts). Every event type arrives once,
// signed (checked by the receiver's own HMAC); a receiver that is down and comes back receives
// everything, in order per token; secrets never travel in a payload nor rest in plaintext.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { createApp, databaseText, dataOf, DERIVE, issue, REVOKE, ROTATE, startServer, type TestServer } from '../e2e/harness.js'
import { waitFor } from '../wait-for.js'
import { CREATE_WEBHOOK, DELIVERIES, FAST } from './helpers.js'
import { Receiver } from './receiver.js'

const ALL = ['TOKEN_ISSUED', 'TOKEN_ROTATED', 'TOKEN_REVOKED', 'TOKEN_EXPIRING', 'TOKEN_EXPIRED', 'TOKEN_TRIMMED', 'APP_DISABLED', 'APP_ENABLED', 'KEY_ROTATED']
async function deliveries(server: TestServer, status?: string): Promise<any[]> {
  return dataOf(await server.gql(DELIVERIES, { variables: status ? { status } : {} })).webhookDeliveries
}

describe('webhooks: every event type, once, signed', () => {
  let server: TestServer
  const receiver = new Receiver()
  const secrets: string[] = []
  let webhookSecret = ''

  before(async () => {
    await receiver.start()
    server = await startServer({ env: { ...FAST, SCOPEWARD_WEBHOOK_ALLOW_PRIVATE: 'true', SCOPEWARD_MASTER_KEY: randomBytes(32).toString('base64url') } })
    const created = dataOf(await server.gql(CREATE_WEBHOOK, { variables: { input: { url: receiver.url, events: ALL } } })).createWebhook
    webhookSecret = created.secret
    receiver.secret = created.secret
  })
  after(async () => {
    await server.stop()
    await receiver.stop()
  })

  test('each lifecycle change is delivered once, each signature verifies, and no payload carries a secret', async () => {
    const app = await createApp(server, { name: 'a', allowedScopes: ['tokens:read', 'tokens:write', 'apps:read'] })
    const parent = await issue(server, { appId: app.id, scopes: ['tokens:read', 'tokens:write'], expiresIn: 'P30D' })
    secrets.push(parent.secret)
    const child = dataOf(await server.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'child', scopes: ['tokens:read'] } } })).deriveToken
    secrets.push(child.secret)
    const rotated = dataOf(await server.gql(ROTATE, { variables: { id: parent.id } })).rotateToken
    secrets.push(rotated.secret)
    // Revoking the successor revokes the child it inherited: one event each.
    dataOf(await server.gql(REVOKE, { variables: { id: rotated.token.id, reason: 'test' } }))
    const trimmed = await issue(server, { appId: app.id, scopes: ['tokens:read', 'apps:read'], noExpiry: true })
    secrets.push(trimmed.secret)
    dataOf(await server.gql('{ tokens(first: 1) { totalCount } }', { token: trimmed.secret }))
    await server.app.usage.flush()
    dataOf(await server.gql(`mutation { trimToken(id: "${trimmed.id}") { removedScopes } }`))
    dataOf(await server.gql(`mutation { disableApp(id: "${app.id}") { id } }`))
    dataOf(await server.gql(`mutation { enableApp(id: "${app.id}") { id } }`))
    dataOf(await server.gql('mutation { rotateSigningKey { kid } }'))
    const expiring = await issue(server, { appId: app.id, scopes: ['tokens:read'], expiresIn: 'P2D' })
    secrets.push(expiring.secret)
    await waitFor(() => receiver.ofType('token.expiring').some((r) => r.body.data.token.id === expiring.id), { timeoutMs: 10_000, what: 'token.expiring' })
    server.advance(3 * 24 * 3600_000)
    await waitFor(() => receiver.ofType('token.expired').some((r) => r.body.data.token.id === expiring.id), { timeoutMs: 10_000, what: 'token.expired' })
    await waitFor(async () => (await deliveries(server, 'PENDING')).length === 0, { timeoutMs: 10_000, what: 'no delivery pending' })

    const all = await deliveries(server)
    assert.equal(receiver.received.length, all.length, 'each delivery arrived exactly once')
    assert.equal(new Set(receiver.received.map((r) => r.id)).size, receiver.received.length, 'no event id twice')
    for (const type of ['token.issued', 'token.rotated', 'token.revoked', 'token.expiring', 'token.expired', 'token.trimmed', 'app.disabled', 'app.enabled', 'key.rotated']) {
      assert.ok(receiver.ofType(type).length > 0, `${type} arrived`)
    }
    const revoked = receiver.ofType('token.revoked').map((r) => r.body.data.token.id)
    assert.deepEqual(new Set(revoked), new Set([rotated.token.id, child.token.id]), 'one token.revoked per token, cascade included')
    assert.equal(receiver.ofType('token.rotated')[0]?.body.data.successorId, rotated.token.id)
    assert.deepEqual(receiver.ofType('token.trimmed')[0]?.body.data.scopes, ['tokens:read'])
    for (const r of receiver.received) {
      assert.ok(r.signatureValid, `${r.body.type} signature verifies`)
      assert.equal(r.headers['webhook-id'], r.body.id)
      assert.deepEqual(Object.keys(r.body).sort(), ['data', 'id', 'timestamp', 'type'])
      for (const s of [...secrets, server.rootToken, webhookSecret]) assert.ok(!r.raw.includes(s) && !r.raw.includes(s.slice(20, 52)), 'no secret in a payload')
      assert.ok(!/secretHash|secret_hash|whsec_/.test(r.raw))
    }
    // Once, still: a marker event sent after more sweeps and rounds arrives alone, nothing before it again.
    const count = receiver.received.length
    const marker = await issue(server, { scopes: ['tokens:read'] })
    await waitFor(() => receiver.received.some((r) => r.body.data.token?.id === marker.id), { timeoutMs: 10_000, what: 'the marker event' })
    assert.equal(receiver.received.length, count + 1)
  })

  test('the signing secret is shown once, stored sealed under the master key, and a signature made with another secret fails', async () => {
    assert.match(webhookSecret, /^whsec_[A-Za-z0-9+/]{43}=$/)
    assert.ok(!(await databaseText(server.dbPath)).includes(webhookSecret.slice(6)), 'the secret is not in the database')
    const listed = dataOf(await server.gql('{ webhooks { id url events status } }')).webhooks
    assert.equal(listed.length, 1)
    assert.ok(!JSON.stringify(listed).includes('whsec_'))
    const r = receiver.received[0]
    assert.ok(r)
    const { verifySignature } = await import('./receiver.js')
    assert.equal(verifySignature(`whsec_${randomBytes(32).toString('base64')}`, r.headers, r.raw), false)
    assert.equal(verifySignature(webhookSecret, r.headers, r.raw.replace('}', ' }')), false, 'a changed body fails')
  })
})

describe('webhooks: a receiver that is down, then back', () => {
  let server: TestServer
  const receiver = new Receiver()

  before(async () => {
    await receiver.start()
    server = await startServer({ env: { ...FAST, SCOPEWARD_WEBHOOK_ALLOW_PRIVATE: 'true' } })
    const created = dataOf(await server.gql(CREATE_WEBHOOK, { variables: { input: { url: receiver.url, events: ['TOKEN_ISSUED', 'TOKEN_REVOKED'] } } })).createWebhook
    receiver.secret = created.secret
  })
  after(async () => {
    await server.stop()
    await receiver.stop()
  })

  test('receives every event after it comes back, in order per token, retried after connection errors and non-2xx answers', async () => {
    const port = receiver.port
    await receiver.stop()
    const ids: string[] = []
    for (let i = 0; i < 3; i++) ids.push((await issue(server, { scopes: ['tokens:read'] })).id)
    for (const id of ids) dataOf(await server.gql(REVOKE, { variables: { id } }))
    await waitFor(async () => (await deliveries(server)).some((d) => d.attempts >= 2 && /connection failed/.test(d.lastError ?? '')), {
      timeoutMs: 10_000,
      what: 'a retried attempt that could not connect',
    })
    // Back, but answering 503 first: a non-2xx answer is retried too.
    receiver.status = 503
    await receiver.start(port)
    await waitFor(async () => (await deliveries(server)).some((d) => d.lastResponseCode === 503), { timeoutMs: 10_000, what: 'a 503 recorded' })
    receiver.status = 204
    await waitFor(() => receiver.received.length >= 6, { timeoutMs: 10_000, what: 'all six events' })
    await waitFor(async () => (await deliveries(server, 'PENDING')).length === 0, { timeoutMs: 10_000, what: 'nothing pending' })
    assert.equal(receiver.received.length, 6)
    for (const id of ids) {
      const types = receiver.received.filter((r) => r.body.data.token.id === id).map((r) => r.body.type)
      assert.deepEqual(types, ['token.issued', 'token.revoked'], `token ${id}: in order`)
    }
    assert.ok(receiver.received.every((r) => r.signatureValid))
    const stored = await deliveries(server)
    assert.ok(stored.every((d) => d.status === 'DELIVERED'))
    assert.ok(
      stored.every((d) => (d.lastResponseBody ?? '').length <= 1024),
      'response bodies are kept to 1 KB',
    )
  })
})
