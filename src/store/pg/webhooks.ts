import { randomUUID } from 'node:crypto'
import { and, asc, desc, eq, inArray, lte, sql } from 'drizzle-orm'
import type {
  AppRecord,
  AuditEventInput,
  ClaimedDelivery,
  DeliveryOutcome,
  ExpiryAnnouncement,
  TokenRecord,
  WebhookChanges,
  WebhookDeliveryRecord,
  WebhookDeliveryStatus,
  WebhookRecord,
  WebhookStatus,
  WriteGuard,
} from '../../domain/model.js'
import type { WebhookStore } from '../../domain/ports.js'
import * as t from '../pg-schema.js'
import { appRecord, tokenRecord } from '../records.js'
import { deliveriesOf, deliveryRecord, webhookRecord } from '../webhook-fan-out.js'
import { deleteOldDeliveriesSql, deleteSpentAnnouncementsSql } from '../webhook-retention-sql.js'
import type { WriteProtocol } from '../write-protocol.js'
import { WRITE_LOCK, type PgConnection, type Tx } from './connection.js'

/** The lock of the fan-out: one instance at a time turns webhook events into deliveries, so their order is the events' order. */
const FAN_OUT_LOCK = WRITE_LOCK + 2

/**
 * Webhooks, their outbox and deliveries on PostgreSQL. Several instances share the deliveries: a
 * claim locks due rows FOR UPDATE SKIP LOCKED and leases them, so each is attempted by one instance
 * at a time; the outcome is recorded only while the lease still holds.
 */
export function pgWebhooks(c: PgConnection, writes: WriteProtocol<Tx>): WebhookStore {
  return {
    insertWebhook(webhook: WebhookRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<void> {
      return writes.run({
        guard,
        run: async (tx) => {
          await tx.insert(t.webhooks).values(webhook)
          return { value: undefined, audit: { event: audit, effect: { write: 'webhook' } } }
        },
      })
    },

    updateWebhook(id: string, changes: WebhookChanges, audit: AuditEventInput, guard?: WriteGuard, expectStatus?: WebhookStatus): Promise<boolean> {
      return writes.run({
        guard,
        run: async (tx) => {
          const where = expectStatus === undefined ? eq(t.webhooks.id, id) : and(eq(t.webhooks.id, id), eq(t.webhooks.status, expectStatus))
          const n = await tx.update(t.webhooks).set(changes).where(where).returning({ id: t.webhooks.id })
          return n.length === 0 ? { value: false, audit: null } : { value: true, audit: { event: audit, effect: { write: 'webhook' } } }
        },
      })
    },

    deleteWebhook(id: string, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
      return writes.run({
        guard,
        run: async (tx) => {
          await tx.delete(t.webhookDeliveries).where(eq(t.webhookDeliveries.webhookId, id))
          const n = await tx.delete(t.webhooks).where(eq(t.webhooks.id, id)).returning({ id: t.webhooks.id })
          return n.length === 0 ? { value: false, audit: null } : { value: true, audit: { event: audit, effect: { write: 'webhook' } } }
        },
      })
    },

    async getWebhook(id: string): Promise<WebhookRecord | null> {
      const [row] = await c.db.select().from(t.webhooks).where(eq(t.webhooks.id, id))
      return row ? webhookRecord(row) : null
    },

    async listWebhooks(options: { appId?: string | undefined }): Promise<WebhookRecord[]> {
      const rows = await c.db
        .select()
        .from(t.webhooks)
        .where(options.appId === undefined ? undefined : eq(t.webhooks.appId, options.appId))
        .orderBy(asc(t.webhooks.createdAt), asc(t.webhooks.id))
      return rows.map(webhookRecord)
    },

    fanOutWebhookEvents(now: number, limit: number): Promise<number> {
      return c.db.transaction(async (tx) => {
        // Another instance is fanning out: it takes these events; waiting would only find none left.
        const { rows } = await tx.execute<{ locked: boolean }>(sql`SELECT pg_try_advisory_xact_lock(${FAN_OUT_LOCK}) AS locked`)
        if (!rows[0]?.locked) return 0
        const events = await tx.select().from(t.webhookEvents).orderBy(asc(t.webhookEvents.seq)).limit(limit)
        const last = events.at(-1)
        if (!last) return 0
        const webhooks = (await tx.select().from(t.webhooks).where(eq(t.webhooks.status, 'ACTIVE'))).map(webhookRecord)
        if (webhooks.length > 0) {
          const tokenIds = [...new Set(events.filter((e) => e.type.startsWith('token.')).map((e) => e.subject))]
          const appIds = [...new Set([...webhooks.map((w) => w.appId), ...events.filter((e) => e.type.startsWith('app.')).map((e) => e.subject)])]
          const tokens = new Map<string, TokenRecord>(
            tokenIds.length ? (await tx.select().from(t.tokens).where(inArray(t.tokens.id, tokenIds))).map((r) => [r.id, tokenRecord(r)] as const) : [],
          )
          const apps = new Map<string, AppRecord>((await tx.select().from(t.apps).where(inArray(t.apps.id, appIds))).map((r) => [r.id, appRecord(r)] as const))
          const deliveries = deliveriesOf(events, { webhooks, tokens, apps }, now)
          for (let i = 0; i < deliveries.length; i += 100) await tx.insert(t.webhookDeliveries).values(deliveries.slice(i, i + 100))
        }
        await tx.delete(t.webhookEvents).where(lte(t.webhookEvents.seq, last.seq))
        return events.length
      })
    },

    async listAnnounced(keys: readonly string[]): Promise<Set<string>> {
      if (keys.length === 0) return new Set()
      const rows = await c.db
        .select({ key: t.webhookAnnouncements.key })
        .from(t.webhookAnnouncements)
        .where(inArray(t.webhookAnnouncements.key, [...keys]))
      return new Set(rows.map((r) => r.key))
    },

    announceExpiry(announcement: ExpiryAnnouncement, audit: AuditEventInput): Promise<boolean> {
      // A write like any other, under the write lock: the key decides once, cluster-wide; the audit event and webhook event follow it.
      return writes.run({
        run: async (tx) => {
          const added = await tx.insert(t.webhookAnnouncements).values({ key: announcement.key, at: audit.at }).onConflictDoNothing().returning({ key: t.webhookAnnouncements.key })
          if (added.length === 0) return { value: false, audit: null }
          return { value: true, audit: { event: audit, effect: { write: 'expiryAnnounced', announcement } } }
        },
      })
    },

    claimWebhookDeliveries(now: number, leaseUntil: number, limit: number): Promise<ClaimedDelivery[]> {
      return c.db.transaction(async (tx) => {
        const { rows: due } = await tx.execute<{ id: string }>(sql`
          SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
          WHERE d.status = 'PENDING' AND w.status = 'ACTIVE' AND d.next_attempt_at <= ${now}
            AND (d.lease_until IS NULL OR d.lease_until < ${now})
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
              WHERE e.webhook_id = d.webhook_id AND e.subject = d.subject AND e.status = 'PENDING' AND e.seq < d.seq)
          ORDER BY d.next_attempt_at, d.seq LIMIT ${limit}
          FOR UPDATE OF d SKIP LOCKED`)
        if (due.length === 0) return []
        // One statement for the batch, one lease id for it (an outcome is recorded only under the lease of its claim).
        const lease = randomUUID()
        const rows = (
          await tx
            .update(t.webhookDeliveries)
            .set({ leaseUntil, leaseId: lease, attempts: sql`${t.webhookDeliveries.attempts} + 1` })
            .where(
              inArray(
                t.webhookDeliveries.id,
                due.map((d) => d.id),
              ),
            )
            .returning()
        ).sort((a, b) => a.seq - b.seq)
        const webhooks = new Map(
          (
            await tx
              .select()
              .from(t.webhooks)
              .where(inArray(t.webhooks.id, [...new Set(rows.map((r) => r.webhookId))]))
          ).map((w) => [w.id, webhookRecord(w)] as const),
        )
        return rows.flatMap((row) => {
          const webhook = webhooks.get(row.webhookId)
          return webhook ? [{ delivery: deliveryRecord(row), webhook, lease }] : []
        })
      })
    },

    completeWebhookDeliveries(outcomes: readonly { claim: ClaimedDelivery; outcome: DeliveryOutcome }[]): Promise<boolean[]> {
      if (outcomes.length === 0) return Promise.resolve([])
      return c.db.transaction(async (tx) => {
        // In webhook order: two instances' batches lock the webhooks' rows in the same order, so they cannot deadlock.
        const order = outcomes.map((_, i) => i).sort((a, b) => (outcomes[a]!.claim.webhook.id < outcomes[b]!.claim.webhook.id ? -1 : 1))
        const recorded: boolean[] = new Array<boolean>(outcomes.length).fill(false)
        for (const i of order) recorded[i] = await completeOne(tx, outcomes[i]!.claim, outcomes[i]!.outcome)
        return recorded
      })
    },

    async getWebhookDelivery(id: string): Promise<WebhookDeliveryRecord | null> {
      const [row] = await c.db.select().from(t.webhookDeliveries).where(eq(t.webhookDeliveries.id, id))
      return row ? deliveryRecord(row) : null
    },

    async listWebhookDeliveries(options: {
      webhookId?: string | undefined
      appId?: string | undefined
      status?: WebhookDeliveryStatus | undefined
      limit: number
    }): Promise<WebhookDeliveryRecord[]> {
      const where = and(
        options.webhookId === undefined ? undefined : eq(t.webhookDeliveries.webhookId, options.webhookId),
        options.appId === undefined ? undefined : eq(t.webhookDeliveries.appId, options.appId),
        options.status === undefined ? undefined : eq(t.webhookDeliveries.status, options.status),
      )
      return (await c.db.select().from(t.webhookDeliveries).where(where).orderBy(desc(t.webhookDeliveries.seq)).limit(options.limit)).map(deliveryRecord)
    },

    retryWebhookDelivery(id: string, at: number, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
      return writes.run({
        guard,
        run: async (tx) => {
          const n = await tx
            .update(t.webhookDeliveries)
            .set({ status: 'PENDING', attempts: 0, nextAttemptAt: at, deliveredAt: null })
            .where(eq(t.webhookDeliveries.id, id))
            .returning({ id: t.webhookDeliveries.id })
          return n.length === 0 ? { value: false, audit: null } : { value: true, audit: { event: audit, effect: { write: 'webhook' } } }
        },
      })
    },

    async deleteOldWebhookDeliveries(before: number, limit: number): Promise<number> {
      // One statement, outside the write lock: row locks only, skipped by another instance deleting at once.
      return (await c.db.execute(deleteOldDeliveriesSql(before, limit, true))).rowCount ?? 0
    },

    async deleteSpentAnnouncements(options: { recordedBefore: number; expiredBefore: number; limit: number }): Promise<number> {
      return (await c.db.execute(deleteSpentAnnouncementsSql(options, true))).rowCount ?? 0
    },
  }
}

/** One attempt's outcome, inside the caller's transaction: recorded only under its claim's lease. */
async function completeOne(tx: Tx, claim: ClaimedDelivery, o: DeliveryOutcome): Promise<boolean> {
  const status: WebhookDeliveryStatus = o.ok ? 'DELIVERED' : o.retryAt === null ? 'FAILED' : 'PENDING'
  const changed = await tx
    .update(t.webhookDeliveries)
    .set({
      status,
      nextAttemptAt: o.retryAt ?? o.at,
      leaseUntil: null,
      leaseId: null,
      lastAttemptAt: o.at,
      lastStatusCode: o.statusCode,
      lastError: o.error,
      lastResponseBody: o.responseBody,
      deliveredAt: o.ok ? o.at : null,
    })
    .where(and(eq(t.webhookDeliveries.id, claim.delivery.id), eq(t.webhookDeliveries.leaseId, claim.lease)))
    .returning({ id: t.webhookDeliveries.id })
  if (changed.length === 0) return false
  await tx
    .update(t.webhooks)
    .set({ failingSince: o.ok ? null : sql`coalesce(${t.webhooks.failingSince}, ${o.at})` })
    .where(eq(t.webhooks.id, claim.webhook.id))
  return true
}
