// Retention (docs/webhooks.md "Retention") as the sweeper runs it: announcement keys are deleted only
// once no sweep can announce their token again, so a sweep after the deletion announces nothing twice;
// a stale sweep mark or no mark keeps them; a run makes at most a few bounded statements and logs
// what it removed. On a real SQLite store (the store's SQL itself is in test/store/webhook-conformance.ts).
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import type { Domain } from '../../src/domain/context.js'
import type { AuditEventInput, ScopeRecord } from '../../src/domain/model.js'
import type { Store } from '../../src/domain/ports.js'
import type { Logger } from '../../src/logger.js'
import { SqliteStore } from '../../src/store/sqlite-store.js'
import { DELETE_BATCH as RETENTION_BATCH, DELETE_STATEMENTS as RETENTION_STATEMENTS } from '../../src/domain/delete-in-batches.js'
import { ExpirySweeper, SWEPT_UNTIL } from '../../src/webhooks/expiry-sweeper.js'
import { webhookConfig } from '../../src/webhooks/settings.js'
import { appRecord, auditInput, tokenRecord } from '../fixtures/records.js'

const T0 = 1_700_000_000_000
const MIN = 60_000
const H = 3_600_000
const DAY = 24 * H
const config = webhookConfig({ SCOPEWARD_WEBHOOK_RETENTION: 'PT1H' })

const audit = (action: string, at: number): AuditEventInput => auditInput(action, { at })
const scope: ScopeRecord = { name: 'a:read', description: 'a:read', implies: [], builtIn: true, createdAt: T0 }

/** A logger that keeps its info lines. */
function recordingLogger(): { logger: Logger; info: Record<string, unknown>[] } {
  const info: Record<string, unknown>[] = []
  const logger = { info: (fields: Record<string, unknown>) => info.push(fields), warn: () => {}, error: () => {} } as unknown as Logger
  return { logger, info }
}

describe('webhook retention run by the expiry sweeper', () => {
  let dir: string
  let store: Store
  let now = T0
  let sweeper: ExpirySweeper
  let info: Record<string, unknown>[]
  const expiryEvents = async () => (await store.countAuditEvents({ action: 'token.expiring' })) + (await store.countAuditEvents({ action: 'token.expired' }))

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scopeward-retention-'))
    store = new SqliteStore(join(dir, 'r.db'))
    await store.migrate()
    await store.initialize({
      scopes: [scope],
      rootApp: appRecord('root', { isRoot: true, allowedScopes: ['a:read'], createdAt: T0 }),
      rootToken: tokenRecord('root-token', { scopes: ['a:read'], createdAt: T0 }),
      audit: audit('instance.init', T0),
    })
    now = T0
    const recording = recordingLogger()
    info = recording.info
    sweeper = new ExpirySweeper({ store, clock: () => now, policies: { maxTokenLifetimeMs: null } } as unknown as Domain, config, recording.logger)
    assert.equal(await sweeper.sweep(), 0, 'the first sweep sets the mark')
  })
  afterEach(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  test('keys go once their token is past the rule, and the sweeps after announce nothing again', async () => {
    await store.insertToken(tokenRecord('a1', { scopes: ['a:read'], createdAt: T0, expiresAt: T0 + 2 * H }), audit('token.issue', T0))
    now = T0 + MIN
    assert.equal(await sweeper.sweep(), 1, 'the 1-day warning')
    now = T0 + 3 * H
    assert.equal(await sweeper.sweep(), 1, 'the expiry')
    assert.deepEqual(await sweeper.retain(), { deliveries: 0, announcements: 0 }, 'within the retention and its threshold margin: kept')
    assert.equal(info.length, 0, 'nothing logged when nothing was removed')
    const keys = ['expiring:a1:86400000', 'expired:a1']
    assert.equal((await store.listAnnounced(keys)).size, 2)

    now = T0 + 3 * H + 7 * DAY + 2 * H
    assert.equal(await sweeper.sweep(), 0)
    assert.deepEqual(await sweeper.retain(), { deliveries: 0, announcements: 2 })
    assert.deepEqual(await store.listAnnounced(keys), new Set())
    assert.equal(info.length, 1, 'one info line for the run')
    assert.deepEqual([info[0]?.deliveries, info[0]?.announcements], [0, 2])
    const events = await expiryEvents()
    // Even a mark set back by a racing sweep (by minutes, not by the retention) finds nothing to announce.
    await store.setMeta(SWEPT_UNTIL, String(now - 30 * MIN))
    assert.equal(await sweeper.sweep(), 0)
    now += config.sweepMs
    assert.equal(await sweeper.sweep(), 0)
    assert.equal(await expiryEvents(), events, 'no second announcement')
  })

  test('a stale mark keeps the keys of tokens a sweep would still look at; no mark keeps every key', async () => {
    await store.insertToken(tokenRecord('b1', { scopes: ['a:read'], createdAt: T0, expiresAt: T0 + 2 * H }), audit('token.issue', T0))
    now = T0 + 3 * H
    assert.equal(await sweeper.sweep(), 1, 'the expiry (no warning: first seen expired)')
    // The last sweep that finished was before the expiry: the next sweep looks back to it and would announce b1 again without its key.
    now = T0 + 30 * DAY
    await store.setMeta(SWEPT_UNTIL, String(T0 + 2 * H - MIN))
    assert.deepEqual(await sweeper.retain(), { deliveries: 0, announcements: 0 })
    assert.equal(await sweeper.sweep(), 0, 'the key is there: not announced again')
    await store.deleteMeta(SWEPT_UNTIL)
    assert.deepEqual(await sweeper.retain(), { deliveries: 0, announcements: 0 }, 'no mark: no key deleted')
    assert.equal((await store.listAnnounced(['expired:b1'])).size, 1)
    // With the mark moved on by a sweep, the key goes.
    assert.equal(await sweeper.sweep(), 0)
    assert.deepEqual(await sweeper.retain(), { deliveries: 0, announcements: 1 })
  })
})

test('a retention run makes at most RETENTION_STATEMENTS statements of each kind and stops at a batch that is not full', async () => {
  const calls = { deliveries: [] as number[], announcements: [] as number[] }
  let announcementsLeft = RETENTION_BATCH + 10
  const store = {
    getMeta: () => Promise.resolve(String(T0)),
    deleteOldWebhookDeliveries: (_before: number, limit: number) => {
      calls.deliveries.push(limit)
      return Promise.resolve(limit)
    },
    deleteSpentAnnouncements: ({ limit }: { limit: number }) => {
      calls.announcements.push(limit)
      const n = Math.min(limit, announcementsLeft)
      announcementsLeft -= n
      return Promise.resolve(n)
    },
  }
  const { logger, info } = recordingLogger()
  const sweeper = new ExpirySweeper({ store, clock: () => T0 + 60 * DAY } as unknown as Domain, config, logger)
  assert.deepEqual(await sweeper.retain(), { deliveries: RETENTION_STATEMENTS * RETENTION_BATCH, announcements: RETENTION_BATCH + 10 })
  assert.deepEqual(calls.deliveries, Array<number>(RETENTION_STATEMENTS).fill(RETENTION_BATCH), 'a backlog: a few full batches, the rest left for later runs')
  assert.deepEqual(calls.announcements, [RETENTION_BATCH, RETENTION_BATCH], 'stops after a batch that was not full')
  assert.equal(info.length, 1)
})
