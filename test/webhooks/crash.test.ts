// Deliveries are rows: a server killed with SIGKILL while a delivery is in flight (the receiver has
// the request and has not answered) leaves the delivery leased; after a restart on the same database
// the lease lapses and the delivery is attempted again, to completion. Real `scopeward serve`
// processes (test/hardening/child-server.ts), each waited for until it prints "listening".
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { post, startChildServer } from '../hardening/child-server.js'
import { ISSUE } from '../e2e/harness.js'
import { createTestDatabase } from '../store/fresh-pg-database.js'
import { waitFor } from '../wait-for.js'
import { CREATE_WEBHOOK, FAST } from './helpers.js'
import { Receiver } from './receiver.js'

const ENV = { ...FAST, SCOPEWARD_WEBHOOK_ALLOW_PRIVATE: 'true', SCOPEWARD_WEBHOOK_TIMEOUT: '2000', SCOPEWARD_WEBHOOK_LEASE: '2500' }

test('a delivery in flight when the server is killed with SIGKILL is delivered after the restart, signed, under the same event id', async () => {
  const pgDatabase = process.env.SCOPEWARD_TEST_DB === 'postgres' ? await createTestDatabase() : null
  const dir = mkdtempSync(join(tmpdir(), 'scopeward-webhook-crash-'))
  const db = pgDatabase?.url ?? join(dir, 'crash.db')
  const receiver = await new Receiver().start()
  try {
    const first = await startChildServer(db, ENV)
    const root = first.rootToken as string
    const created = await post(first.url, root, CREATE_WEBHOOK, { input: { url: receiver.url, events: ['TOKEN_ISSUED'] } })
    receiver.secret = created.body.data.createWebhook.secret
    receiver.hold = true
    const issued = await post(first.url, root, ISSUE, { input: { name: 'in flight', scopes: ['tokens:read'] } })
    const tokenId = issued.body.data.issueToken.token.id as string
    await waitFor(() => receiver.held.length > 0, { timeoutMs: 10_000, what: 'the delivery reached the receiver' })
    first.child.kill('SIGKILL')
    assert.equal((await first.exited).signal, 'SIGKILL')
    assert.equal(receiver.received.length, 0, 'nothing was acknowledged before the kill')
    const heldEvent = JSON.parse(receiver.held[0] as string)

    receiver.hold = false
    const second = await startChildServer(db, ENV)
    try {
      const got = await waitFor(() => receiver.received.find((r) => r.body.data.token?.id === tokenId), { timeoutMs: 20_000, what: 'the delivery after the restart' })
      assert.equal(got.signatureValid, true)
      assert.equal(got.body.id, heldEvent.id, 'the same event, so the receiver can deduplicate')
      // The receiver has the request before the server has its answer: the outcome is recorded a moment later.
      const deliveries = await waitFor(
        async () => {
          const rows = (await post(second.url, root, '{ webhookDeliveries { status attempts } }')).body.data.webhookDeliveries as { status: string; attempts: number }[]
          return rows.every((d) => d.status !== 'PENDING') ? rows : undefined
        },
        { timeoutMs: 10_000, what: 'the outcome recorded' },
      )
      assert.deepEqual(
        deliveries.map((d) => d.status),
        ['DELIVERED'],
      )
      assert.equal(deliveries[0]?.attempts, 2)
    } finally {
      second.child.kill('SIGTERM')
      await second.exited
    }
  } finally {
    await receiver.stop()
    rmSync(dir, { recursive: true, force: true })
    await pgDatabase?.drop()
  }
})
