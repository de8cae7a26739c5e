// Webhooks with two instances on one PostgreSQL: every event is delivered once, whichever instance
// committed it and whichever claims it; claims made at the same moment by two stores never share a
// delivery (FOR UPDATE SKIP LOCKED plus a lease).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import pg from 'pg'
import { openStore } from '../../src/store/open-store.js'
import type { Store } from '../../src/domain/ports.js'
import { dataOf, issue, startServer, type TestServer } from '../e2e/harness.js'
import { createTestDatabase, pgUnavailable } from '../store/fresh-pg-database.js'
import { waitFor } from '../wait-for.js'
import { CREATE_WEBHOOK, DELIVERIES, FAST } from '../webhooks/helpers.js'
import { Receiver } from '../webhooks/receiver.js'

const unavailable = await pgUnavailable()
if (unavailable) process.stdout.write(`# skipping the multi-instance webhook suite: ${unavailable}\n`)

const env = { ...FAST, SCOPEWARD_WEBHOOK_ALLOW_PRIVATE: 'true' }

describe('webhooks on two instances of one PostgreSQL', { skip: unavailable ?? false }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let a: TestServer
  let b: TestServer
  const receiver = new Receiver()

  before(async () => {
    await receiver.start()
    database = await createTestDatabase()
    a = await startServer({ dbPath: database.url, env, keep: true })
    b = await startServer({ dbPath: database.url, rootToken: a.rootToken, env, keep: true })
  })
  after(async () => {
    await a.stop()
    await b.stop()
    await receiver.stop()
    await database.drop()
  })

  test('events committed on both instances are each delivered exactly once', async () => {
    const created = dataOf(await a.gql(CREATE_WEBHOOK, { variables: { input: { url: receiver.url, events: ['TOKEN_ISSUED', 'TOKEN_REVOKED'] } } })).createWebhook
    receiver.secret = created.secret
    const issued = await Promise.all(Array.from({ length: 40 }, (_, i) => issue(i % 2 === 0 ? a : b, { name: `t${i}`, scopes: ['tokens:read'] })))
    await waitFor(() => receiver.received.length >= 40, { timeoutMs: 20_000, what: 'forty deliveries' })
    await waitFor(async () => dataOf(await b.gql(DELIVERIES, { variables: { status: 'PENDING' } })).webhookDeliveries.length === 0, { timeoutMs: 20_000, what: 'nothing pending' })
    assert.equal(receiver.received.length, 40)
    assert.equal(new Set(receiver.received.map((r) => r.id)).size, 40)
    assert.deepEqual(new Set(receiver.received.map((r) => r.body.data.token.id)), new Set(issued.map((t) => t.id)))
    assert.ok(receiver.received.every((r) => r.signatureValid))
  })
})

describe('an instance with SCOPEWARD_WEBHOOK_DELIVER=false beside one that delivers', { skip: unavailable ?? false }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let recorder: TestServer
  let sender: TestServer | undefined
  const receiver = new Receiver()

  before(async () => {
    await receiver.start()
    database = await createTestDatabase()
    recorder = await startServer({ dbPath: database.url, env: { ...env, SCOPEWARD_WEBHOOK_DELIVER: 'false' }, keep: true })
  })
  after(async () => {
    await recorder.stop()
    await sender?.stop()
    await receiver.stop()
    await database.drop()
  })

  test('the first records the events of its writes and sends none; the second, once started, delivers them all', async () => {
    const created = dataOf(await recorder.gql(CREATE_WEBHOOK, { variables: { input: { url: receiver.url, events: ['TOKEN_ISSUED'] } } })).createWebhook
    receiver.secret = created.secret
    const issued = await Promise.all(Array.from({ length: 5 }, (_, i) => issue(recorder, { name: `r${i}`, scopes: ['tokens:read'] })))
    // 25 of the recorder's poll intervals (FAST: 20 ms): a delivering instance would have sent them by now.
    await new Promise((resolve) => setTimeout(resolve, 25 * Number(FAST.SCOPEWARD_WEBHOOK_POLL)))
    assert.equal(receiver.received.length, 0, 'the instance that does not deliver sent nothing')
    sender = await startServer({ dbPath: database.url, rootToken: recorder.rootToken, env, keep: true })
    await waitFor(() => receiver.received.length >= 5, { timeoutMs: 20_000, what: 'five deliveries from the delivering instance' })
    assert.deepEqual(new Set(receiver.received.map((r) => r.body.data.token.id)), new Set(issued.map((t) => t.id)))
    assert.ok(receiver.received.every((r) => r.signatureValid))
  })
})

describe('claims of two stores at the same moment', { skip: unavailable ?? false }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let one: Store
  let two: Store

  before(async () => {
    database = await createTestDatabase()
    one = await openStore(database.url)
    await one.migrate()
    two = await openStore(database.url)
    const sql = new pg.Client({ connectionString: database.url })
    await sql.connect()
    try {
      await sql.query(`INSERT INTO apps (id, name, allowed_scopes, is_root, created_at) VALUES ('app', 'app', '[]', false, 0)`)
      await sql.query(
        `INSERT INTO webhooks (id, app_id, url, events, secret, status, created_at, updated_at) VALUES ('wh', 'app', 'https://example.test/', '["token.issued"]', 'whsec_AAAA', 'ACTIVE', 0, 0)`,
      )
      for (let i = 0; i < 60; i++) {
        await sql.query(
          `INSERT INTO webhook_deliveries (id, webhook_id, app_id, event_id, event_type, subject, payload, status, attempts, next_attempt_at, created_at) VALUES ($1, 'wh', 'app', $2, 'token.issued', $3, '{}', 'PENDING', 0, 0, 0)`,
          [`d${i}`, `e${i}`, `s${i}`],
        )
      }
    } finally {
      await sql.end()
    }
  })
  after(async () => {
    await one.close()
    await two.close()
    await database.drop()
  })

  test('no delivery is claimed by both; together they claim all, each once', async () => {
    const now = Date.now()
    const claimed: string[] = []
    for (let round = 0; round < 20; round++) {
      const [x, y] = await Promise.all([one.claimWebhookDeliveries(now, now + 60_000, 7), two.claimWebhookDeliveries(now, now + 60_000, 7)])
      const ids = [...x, ...y].map((c) => c.delivery.id)
      if (ids.length === 0) break
      claimed.push(...ids)
    }
    assert.equal(claimed.length, 60)
    assert.equal(new Set(claimed).size, 60, 'no delivery was claimed twice')
    // Leased: neither store can claim them again before the lease lapses.
    assert.deepEqual(await one.claimWebhookDeliveries(now + 1, now + 60_000, 100), [])
  })
})
