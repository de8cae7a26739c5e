// The webhook part of the Store contract, on both dialects (called from conformance.ts): a write's
// webhook events commit with it (and a refused write records none), fan-out respects the app
// boundary and the webhook's creation, deliveries of one subject keep their order, a claim is a
// lease (fenced: an outcome from a lapsed claim is not recorded), announcements are recorded once,
// and retention deletes only finished deliveries and announcement keys that can no longer matter.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import type { AppRecord, AuditEventInput, ClaimedDelivery, DeliveryOutcome, TokenRecord, WebhookRecord } from '../../src/domain/model.js'
import type { Store } from '../../src/domain/ports.js'
import type { MakeOutboxStore, MakePeer } from './outbox-conformance.js'
import { appRecord, tokenRecord } from '../fixtures/records.js'

const T0 = 1_700_000_000_000
let serial = 0
const audit = (action: string): AuditEventInput => ({
  id: `ev-${randomUUID()}`,
  at: T0 + 1000 + serial++,
  actor: 'operator',
  appId: null,
  action,
  target: null,
  requestId: null,
  ip: null,
  details: { reason: 'because' },
})
/** One outcome through the batch method. */
const complete = async (store: Store, claim: ClaimedDelivery, outcome: DeliveryOutcome): Promise<boolean | undefined> =>
  (await store.completeWebhookDeliveries([{ claim, outcome }]))[0]
const app = (id: string): AppRecord => appRecord(id, { allowedScopes: ['a:read'], createdAt: T0 })
const token = (id: string, over: Partial<TokenRecord> = {}): TokenRecord => tokenRecord(id, { scopes: ['a:read'], secretHash: `secret-hash-of-${id}`, createdAt: T0, ...over })
const webhook = (id: string, over: Partial<WebhookRecord> = {}): WebhookRecord => ({
  id,
  appId: 'root',
  url: 'https://example.test/hook',
  events: ['token.issued', 'token.revoked', 'app.disabled'],
  secret: 'whsec_c2VjcmV0',
  status: 'ACTIVE',
  createdAt: T0,
  updatedAt: T0,
  failingSince: null,
  disabledAt: null,
  disabledReason: null,
  createdBy: null,
  ...over,
})

export function defineWebhookConformance(seeded: (store: Store) => Promise<void>, makeStore: MakeOutboxStore): void {
  const withStore = (body: (store: Store, peer: MakePeer | undefined) => Promise<void>) => async () => {
    const { store, peer, cleanup } = await makeStore()
    try {
      await seeded(store)
      await body(store, peer)
    } finally {
      await cleanup()
    }
  }
  const NOW = T0 + 10_000

  /** Claims each token's one `token.issued` delivery and records the outcome given for it; returns token id → delivery id. */
  const finish = async (store: Store, outcomes: Record<string, DeliveryOutcome>): Promise<Map<string, string>> => {
    const claims = await store.claimWebhookDeliveries(NOW, NOW + 1000, 100)
    const byToken = new Map(claims.map((c) => [JSON.parse(c.delivery.payload).data.token.id as string, c]))
    const done = Object.entries(outcomes).map(([id, outcome]) => {
      const claim = byToken.get(id)
      assert.ok(claim, `${id} has a claimed delivery`)
      return { claim, outcome }
    })
    assert.ok((await store.completeWebhookDeliveries(done)).every(Boolean))
    return new Map(done.map(({ claim }) => [JSON.parse(claim.delivery.payload).data.token.id as string, claim.delivery.id]))
  }
  const delivered = (at: number): DeliveryOutcome => ({ at, ok: true, statusCode: 200, error: null, responseBody: '', retryAt: null })
  const failed = (at: number, retryAt: number | null = null): DeliveryOutcome => ({ at, ok: false, statusCode: 500, error: 'status 500', responseBody: 'no', retryAt })
  /** token id → status of its delivery, for every delivery left. */
  const left = async (store: Store): Promise<Record<string, string>> =>
    Object.fromEntries((await store.listWebhookDeliveries({ limit: 100 })).map((d) => [JSON.parse(d.payload).data.token.id as string, d.status]))

  test(
    'webhooks retention: DELIVERED and FAILED deliveries finished before the cutoff go, at most `limit` per statement; recent ones and PENDING ones of any age stay',
    withStore(async (store) => {
      const OLD = NOW + 100
      const BEFORE = NOW + 1_000_000
      const RECENT = NOW + 2_000_000
      await store.insertWebhook(webhook('wh', { events: ['token.issued'] }), audit('webhook.create'))
      const finished = ['d1', 'd2', 'd3', 'f1', 'f2', 'recent-d', 'recent-f', 'at-cutoff', 'waiting-retry', 'retried']
      for (const id of finished) await store.insertToken(token(id), audit('token.issue'))
      assert.equal(await store.fanOutWebhookEvents(NOW, 100), finished.length)
      const ids = await finish(store, {
        d1: delivered(OLD),
        d2: delivered(OLD),
        d3: delivered(OLD + 1),
        f1: failed(OLD),
        f2: failed(OLD + 1),
        'recent-d': delivered(RECENT),
        'recent-f': failed(RECENT),
        'at-cutoff': delivered(BEFORE),
        // An old failed attempt with a retry to come: PENDING, whatever the age of its last attempt.
        'waiting-retry': failed(OLD, OLD + 5000),
        retried: failed(OLD),
      })
      assert.equal(await store.retryWebhookDelivery(ids.get('retried') as string, OLD + 10, audit('webhook.retry_delivery')), true)
      // A delivery never attempted, due long before the cutoff.
      await store.insertToken(token('never'), audit('token.issue'))
      assert.equal(await store.fanOutWebhookEvents(NOW, 100), 1)
      const events = await store.countAuditEvents({})

      assert.deepEqual(
        [await store.deleteOldWebhookDeliveries(BEFORE, 2), await store.deleteOldWebhookDeliveries(BEFORE, 2), await store.deleteOldWebhookDeliveries(BEFORE, 2)],
        [2, 2, 1],
        'five old finished deliveries, two per statement',
      )
      assert.equal(await store.deleteOldWebhookDeliveries(BEFORE, 2), 0)
      assert.deepEqual(await left(store), {
        'recent-d': 'DELIVERED',
        'recent-f': 'FAILED',
        'at-cutoff': 'DELIVERED',
        'waiting-retry': 'PENDING',
        retried: 'PENDING',
        never: 'PENDING',
      })
      assert.equal(await store.countAuditEvents({}), events, 'bookkeeping: nothing audited')
      // Far in the future every finished delivery is old; the PENDING ones still stay.
      assert.equal(await store.deleteOldWebhookDeliveries(Number.MAX_SAFE_INTEGER, 100), 3)
      assert.deepEqual(await left(store), { 'waiting-retry': 'PENDING', retried: 'PENDING', never: 'PENDING' })
    }),
  )

  test(
    'webhooks retention: instances deleting at once delete each old delivery once, all of them',
    withStore(async (store, peer) => {
      await store.insertWebhook(webhook('wh', { events: ['token.issued'] }), audit('webhook.create'))
      const tokens = Array.from({ length: 30 }, (_, i) => `t${i}`)
      for (const id of tokens) await store.insertToken(token(id), audit('token.issue'))
      await store.fanOutWebhookEvents(NOW, 100)
      await finish(store, Object.fromEntries(tokens.map((id, i) => [id, i % 2 ? delivered(NOW + 1) : failed(NOW + 1)])))
      const other = peer ? await peer() : store
      const counts = await Promise.all(
        [store, other, store, other].map(async (s) => (await s.deleteOldWebhookDeliveries(NOW + 2, 5)) + (await s.deleteOldWebhookDeliveries(NOW + 2, 5))),
      )
      assert.equal(
        counts.reduce((a, b) => a + b, 0),
        30,
      )
      assert.deepEqual(await left(store), {})
    }),
  )

  test(
    'webhooks retention: an announcement key goes only when old and its token is gone or expired before the cutoff; other keys stay',
    withStore(async (store) => {
      const RECORDED_BEFORE = T0 + 500_000
      const EXPIRED_BEFORE = T0 + 400_000
      const announce = async (key: string, tokenId: string, at: number): Promise<void> => {
        const type = key.startsWith('expiring:') ? ('token.expiring' as const) : ('token.expired' as const)
        assert.equal(await store.announceExpiry({ key, type, tokenId, data: {} }, { ...audit(type), at, target: tokenId }), true)
      }
      // An id ending in digits: the threshold is cut off the key, not the id's digits.
      await store.insertToken(token('old7', { expiresAt: EXPIRED_BEFORE - 1000 }), audit('token.issue'))
      await store.insertToken(token('late', { expiresAt: EXPIRED_BEFORE }), audit('token.issue'))
      await store.insertToken(token('forever'), audit('token.issue'))
      await store.insertToken(token('fresh-key', { expiresAt: EXPIRED_BEFORE - 1000 }), audit('token.issue'))
      await store.insertToken(token('revoked', { expiresAt: EXPIRED_BEFORE + 100_000 }), audit('token.issue'))
      await store.revokeTokenCascade('revoked', T0 + 1000, null, audit('token.revoke'))
      await announce('expiring:old7:604800000', 'old7', RECORDED_BEFORE - 300_000)
      await announce('expired:old7', 'old7', RECORDED_BEFORE - 10)
      await announce('expired:gone', 'gone', RECORDED_BEFORE - 10)
      // Expiry not before the cutoff: a sweep could still meet the token.
      await announce('expiring:late:86400000', 'late', RECORDED_BEFORE - 10)
      await announce('expired:late', 'late', RECORDED_BEFORE - 10)
      // No expiry: its keys stay.
      await announce('expiring:forever:86400000', 'forever', RECORDED_BEFORE - 10)
      // Recorded at the cutoff, not before it.
      await announce('expired:fresh-key', 'fresh-key', RECORDED_BEFORE)
      await announce('expiring:revoked:86400000', 'revoked', RECORDED_BEFORE - 10)
      // A key of another form is never touched.
      await announce('other:old7', 'old7', RECORDED_BEFORE - 10)
      const all = [
        'expiring:old7:604800000',
        'expired:old7',
        'expired:gone',
        'expiring:late:86400000',
        'expired:late',
        'expiring:forever:86400000',
        'expired:fresh-key',
        'expiring:revoked:86400000',
        'other:old7',
      ]
      const events = await store.countAuditEvents({})
      const cutoffs = { recordedBefore: RECORDED_BEFORE, expiredBefore: EXPIRED_BEFORE }
      assert.deepEqual([await store.deleteSpentAnnouncements({ ...cutoffs, limit: 2 }), await store.deleteSpentAnnouncements({ ...cutoffs, limit: 2 })], [2, 1])
      assert.equal(await store.deleteSpentAnnouncements({ ...cutoffs, limit: 2 }), 0)
      assert.deepEqual([...(await store.listAnnounced(all))].sort(), [
        'expired:fresh-key',
        'expired:late',
        'expiring:forever:86400000',
        'expiring:late:86400000',
        'expiring:revoked:86400000',
        'other:old7',
      ])
      assert.equal(await store.countAuditEvents({}), events, 'bookkeeping: nothing audited')
      // A key deleted is a key the sweeper may write again: announceExpiry records it anew (which is why only spent keys go).
      assert.equal(await store.announceExpiry({ key: 'expired:old7', type: 'token.expired', tokenId: 'old7', data: {} }, { ...audit('token.expired'), target: 'old7' }), true)
    }),
  )

  test(
    'webhooks: concurrent disables of one failing webhook (expectStatus ACTIVE) disable and audit it once',
    withStore(async (store) => {
      await store.insertWebhook(webhook('failing'), audit('webhook.create'))
      const disable = () =>
        store.updateWebhook('failing', { status: 'DISABLED', disabledAt: NOW, disabledReason: 'failing', updatedAt: NOW }, audit('webhook.disable'), undefined, 'ACTIVE')
      const results = await Promise.all([disable(), disable(), disable()])
      assert.deepEqual(results.filter(Boolean).length, 1)
      assert.equal((await store.getWebhook('failing'))?.status, 'DISABLED')
      assert.equal((await store.listAuditEvents({ action: 'webhook.disable', limit: 10 })).rows.length, 1)
    }),
  )

  test(
    'webhooks: a write records its events in its transaction, one per token revoked; fan-out builds the payloads, without secrets',
    withStore(async (store) => {
      await store.insertWebhook(webhook('wh1'), audit('webhook.create'))
      await store.insertToken(token('p'), audit('token.issue'))
      await store.insertToken(token('c', { parentId: 'p' }), audit('token.issue'))
      await store.revokeTokenCascade('p', T0 + 2000, 'because', audit('token.revoke'))
      // A refused write (its guard throws) records no event.
      await assert.rejects(
        store.insertToken(token('refused'), audit('token.issue'), undefined, {
          check: () => {
            throw new Error('refused')
          },
        }),
      )
      assert.equal(await store.fanOutWebhookEvents(NOW, 100), 4)
      assert.equal(await store.fanOutWebhookEvents(NOW, 100), 0, 'each event is fanned out once')
      const deliveries = (await store.listWebhookDeliveries({ limit: 10 })).reverse()
      assert.deepEqual(
        deliveries.map((d) => [d.eventType, JSON.parse(d.payload).data.token.id]),
        [
          ['token.issued', 'p'],
          ['token.issued', 'c'],
          ['token.revoked', 'p'],
          ['token.revoked', 'c'],
        ],
      )
      for (const d of deliveries) {
        const body = JSON.parse(d.payload)
        assert.deepEqual(Object.keys(body).sort(), ['data', 'id', 'timestamp', 'type'])
        assert.equal(body.id, d.eventId)
        assert.ok(!d.payload.includes('secret-hash-of'), 'no secret hash in a payload')
        assert.equal(d.status, 'PENDING')
      }
      assert.equal(JSON.parse(deliveries[2]?.payload as string).data.reason, 'because')
    }),
  )

  test(
    "webhooks: an app's webhook receives its app's events only, the root app's every app's, and none from before it existed",
    withStore(async (store) => {
      await store.insertApp(app('a1'), audit('app.create'))
      await store.insertApp(app('a2'), audit('app.create'))
      await store.insertWebhook(webhook('root-hook'), audit('webhook.create'))
      await store.insertWebhook(webhook('a1-hook', { appId: 'a1' }), audit('webhook.create'))
      await store.insertWebhook(webhook('late', { createdAt: T0 + 1_000_000 }), audit('webhook.create'))
      await store.insertToken(token('t1', { appId: 'a1' }), audit('token.issue'))
      await store.insertToken(token('t2', { appId: 'a2' }), audit('token.issue'))
      await store.updateApp('a2', { disabledAt: T0 + 3000 }, audit('app.disable'))
      await store.fanOutWebhookEvents(NOW, 100)
      const of = async (id: string) =>
        (await store.listWebhookDeliveries({ webhookId: id, limit: 10 }))
          .map((d) => `${d.eventType} ${JSON.parse(d.payload).data.token?.id ?? JSON.parse(d.payload).data.app.id}`)
          .sort()
      assert.deepEqual(await of('root-hook'), ['app.disabled a2', 'token.issued t1', 'token.issued t2'])
      assert.deepEqual(await of('a1-hook'), ['token.issued t1'])
      assert.deepEqual(await of('late'), [])
      assert.deepEqual((await store.listWebhookDeliveries({ appId: 'a1', limit: 10 })).length, 1)
    }),
  )

  test(
    'webhooks: deliveries of one token keep their order; a claim is a lease, fenced; failures set failingSince and a success clears it',
    withStore(async (store) => {
      await store.insertWebhook(webhook('wh'), audit('webhook.create'))
      await store.insertToken(token('t'), audit('token.issue'))
      await store.revokeTokenCascade('t', T0 + 2000, null, audit('token.revoke'))
      await store.insertToken(token('u'), audit('token.issue'))
      await store.fanOutWebhookEvents(NOW, 100)
      const first = await store.claimWebhookDeliveries(NOW, NOW + 1000, 10)
      assert.deepEqual(
        first.map((c) => [c.delivery.eventType, c.delivery.attempts]),
        [
          ['token.issued', 1],
          ['token.issued', 1],
        ],
        "t's revocation waits for t's issue; u's issue does not",
      )
      assert.deepEqual(await store.claimWebhookDeliveries(NOW + 500, NOW + 1500, 10), [], 'leased deliveries are not claimed again')
      const [ofT] = first.filter((c) => JSON.parse(c.delivery.payload).data.token.id === 't')
      assert.ok(ofT)
      // The lease lapses: claimed again (attempt 2); the first claim's outcome is refused.
      const again = await store.claimWebhookDeliveries(NOW + 2000, NOW + 3000, 10)
      assert.equal(again.length, 2)
      const ofTAgain = again.find((c) => c.delivery.id === ofT.delivery.id)
      assert.equal(ofTAgain?.delivery.attempts, 2)
      assert.equal(await complete(store, ofT, { at: NOW + 2100, ok: true, statusCode: 200, error: null, responseBody: '', retryAt: null }), false)
      assert.equal(await complete(store, ofTAgain as never, { at: NOW + 2100, ok: false, statusCode: 500, error: 'status 500', responseBody: 'no', retryAt: NOW + 2500 }), true)
      assert.equal((await store.getWebhook('wh'))?.failingSince, NOW + 2100)
      assert.deepEqual(await store.claimWebhookDeliveries(NOW + 2200, NOW + 3200, 10), [], 'not due before its retry time')
      const retried = await store.claimWebhookDeliveries(NOW + 3100, NOW + 4000, 10)
      const ofT3 = retried.find((c) => c.delivery.id === ofT.delivery.id)
      assert.ok(ofT3)
      assert.equal(await complete(store, ofT3, { at: NOW + 3200, ok: true, statusCode: 204, error: null, responseBody: '', retryAt: null }), true)
      assert.equal((await store.getWebhook('wh'))?.failingSince, null)
      const next = await store.claimWebhookDeliveries(NOW + 3300, NOW + 4300, 10)
      assert.ok(
        next.some((c) => c.delivery.eventType === 'token.revoked'),
        "t's revocation is claimable once its issue was delivered",
      )
      const done = await store.getWebhookDelivery(ofT.delivery.id)
      assert.equal(done?.status, 'DELIVERED')
      assert.equal(done?.lastStatusCode, 204)
    }),
  )

  test(
    'webhooks: announcements are recorded once; a FAILED delivery can be retried (audited); deleting a webhook removes its deliveries',
    withStore(async (store) => {
      await store.insertWebhook(webhook('wh', { events: ['token.expired'] }), audit('webhook.create'))
      await store.insertToken(token('t', { expiresAt: T0 + 5000 }), audit('token.issue'))
      const announcement = { key: 'expired:t', type: 'token.expired' as const, tokenId: 't', data: {} }
      const before = await store.countAuditEvents({})
      assert.deepEqual(await store.listAnnounced(['expired:t', 'expired:u']), new Set())
      assert.equal(await store.announceExpiry(announcement, { ...audit('token.expired'), target: 't' }), true)
      assert.equal(await store.announceExpiry(announcement, { ...audit('token.expired'), target: 't' }), false, 'a key recorded before is not announced again')
      assert.deepEqual(await store.listAnnounced(['expired:t', 'expired:u']), new Set(['expired:t']))
      assert.equal(await store.countAuditEvents({}), before + 1, 'one audit event: the announcement is a write, recorded once')
      await store.fanOutWebhookEvents(NOW, 100)
      const [claim] = await store.claimWebhookDeliveries(NOW, NOW + 1000, 10)
      assert.ok(claim)
      assert.equal(claim.delivery.eventType, 'token.expired')
      assert.equal(JSON.parse(claim.delivery.payload).data.token.id, 't')
      await complete(store, claim, { at: NOW, ok: false, statusCode: null, error: 'connection failed', responseBody: null, retryAt: null })
      assert.equal((await store.getWebhookDelivery(claim.delivery.id))?.status, 'FAILED')
      const events = await store.countAuditEvents({})
      assert.equal(await store.retryWebhookDelivery(claim.delivery.id, NOW + 10, audit('webhook.retry_delivery')), true)
      assert.equal(await store.countAuditEvents({}), events + 1)
      assert.equal((await store.getWebhookDelivery(claim.delivery.id))?.status, 'PENDING')
      assert.equal(await store.retryWebhookDelivery('nope', NOW, audit('webhook.retry_delivery')), false)
      assert.equal(await store.countAuditEvents({}), events + 1, 'nothing audited for a delivery that does not exist')
      assert.equal(await store.deleteWebhook('wh', audit('webhook.delete')), true)
      assert.equal(await store.getWebhookDelivery(claim.delivery.id), null)
      assert.deepEqual(await store.listWebhooks({}), [])
    }),
  )
}
