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
import { appRecord, tokenRecord } from '../records.js'
import * as t from '../sqlite-schema.js'
import { deliveriesOf, deliveryRecord, webhookRecord } from '../webhook-fan-out.js'
import type { WriteProtocol } from '../write-protocol.js'
import type { SqliteConnection, Tx } from './connection.js'

/** Webhooks, their outbox and deliveries on SQLite (one process writes the file: no lease races, but the same rules). */
export function sqliteWebhooks(c: SqliteConnection, writes: WriteProtocol<Tx>): WebhookStore {
  /** A bookkeeping transaction that returns a value. */
  const keep = async <T>(run: (tx: Tx) => T): Promise<T> => {
    let out: { value: T } | null = null
    await writes.bookkeeping((tx) => {
      out = { value: run(tx) }
    })
    if (!out) throw new Error('the webhook bookkeeping transaction did not run')
    return (out as { value: T }).value
  }
  const webhookById = (id: string): WebhookRecord | null => {
    const row = c.db.select().from(t.webhooks).where(eq(t.webhooks.id, id)).get()
    return row ? webhookRecord(row) : null
  }

  return {
    insertWebhook(webhook: WebhookRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<void> {
      return writes.run({
        guard,
        run: (tx) => {
          tx.insert(t.webhooks).values(webhook).run()
          return { value: undefined, audit: { event: audit, effect: { write: 'webhook' } } }
        },
      })
    },

    updateWebhook(id: string, changes: WebhookChanges, audit: AuditEventInput, guard?: WriteGuard, expectStatus?: WebhookStatus): Promise<boolean> {
      return writes.run({
        guard,
        run: (tx) => {
          const where = expectStatus === undefined ? eq(t.webhooks.id, id) : and(eq(t.webhooks.id, id), eq(t.webhooks.status, expectStatus))
          const n = tx.update(t.webhooks).set(changes).where(where).run().changes
          return n === 0 ? { value: false, audit: null } : { value: true, audit: { event: audit, effect: { write: 'webhook' } } }
        },
      })
    },

    deleteWebhook(id: string, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
      return writes.run({
        guard,
        run: (tx) => {
          tx.delete(t.webhookDeliveries).where(eq(t.webhookDeliveries.webhookId, id)).run()
          const n = tx.delete(t.webhooks).where(eq(t.webhooks.id, id)).run().changes
          return n === 0 ? { value: false, audit: null } : { value: true, audit: { event: audit, effect: { write: 'webhook' } } }
        },
      })
    },

    async getWebhook(id: string): Promise<WebhookRecord | null> {
      return webhookById(id)
    },

    async listWebhooks(options: { appId?: string | undefined }): Promise<WebhookRecord[]> {
      const q = c.db.select().from(t.webhooks)
      const rows =
        options.appId === undefined
          ? q.orderBy(asc(t.webhooks.createdAt), asc(t.webhooks.id)).all()
          : q.where(eq(t.webhooks.appId, options.appId)).orderBy(asc(t.webhooks.createdAt), asc(t.webhooks.id)).all()
      return rows.map(webhookRecord)
    },

    fanOutWebhookEvents(now: number, limit: number): Promise<number> {
      return keep((tx) => {
        const events = tx.select().from(t.webhookEvents).orderBy(asc(t.webhookEvents.seq)).limit(limit).all()
        const last = events.at(-1)
        if (!last) return 0
        const webhooks = tx.select().from(t.webhooks).where(eq(t.webhooks.status, 'ACTIVE')).all().map(webhookRecord)
        if (webhooks.length > 0) {
          const tokenIds = [...new Set(events.filter((e) => e.type.startsWith('token.')).map((e) => e.subject))]
          const appIds = [...new Set([...webhooks.map((w) => w.appId), ...events.filter((e) => e.type.startsWith('app.')).map((e) => e.subject)])]
          const tokens = new Map<string, TokenRecord>(
            tokenIds.length
              ? tx
                  .select()
                  .from(t.tokens)
                  .where(inArray(t.tokens.id, tokenIds))
                  .all()
                  .map((r) => [r.id, tokenRecord(r)] as const)
              : [],
          )
          const apps = new Map<string, AppRecord>(
            tx
              .select()
              .from(t.apps)
              .where(inArray(t.apps.id, appIds))
              .all()
              .map((r) => [r.id, appRecord(r)] as const),
          )
          const deliveries = deliveriesOf(events, { webhooks, tokens, apps }, now)
          for (let i = 0; i < deliveries.length; i += 100)
            tx.insert(t.webhookDeliveries)
              .values(deliveries.slice(i, i + 100))
              .run()
        }
        tx.delete(t.webhookEvents).where(lte(t.webhookEvents.seq, last.seq)).run()
        return events.length
      })
    },

    listAnnounced(keys: readonly string[]): Promise<Set<string>> {
      if (keys.length === 0) return Promise.resolve(new Set())
      const rows = c.db
        .select({ key: t.webhookAnnouncements.key })
        .from(t.webhookAnnouncements)
        .where(inArray(t.webhookAnnouncements.key, [...keys]))
        .all()
      return Promise.resolve(new Set(rows.map((r) => r.key)))
    },

    announceExpiry(announcement: ExpiryAnnouncement, audit: AuditEventInput): Promise<boolean> {
      // A write like any other, under the write lock: the key decides once; the audit event and webhook event follow it.
      return writes.run({
        run: (tx) => {
          const added = tx.insert(t.webhookAnnouncements).values({ key: announcement.key, at: audit.at }).onConflictDoNothing().run().changes
          if (added === 0) return { value: false, audit: null }
          return { value: true, audit: { event: audit, effect: { write: 'expiryAnnounced', announcement } } }
        },
      })
    },

    claimWebhookDeliveries(now: number, leaseUntil: number, limit: number): Promise<ClaimedDelivery[]> {
      return keep((tx) => {
        const due = tx.all<{ id: string }>(sql`
          SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
          WHERE d.status = 'PENDING' AND w.status = 'ACTIVE' AND d.next_attempt_at <= ${now}
            AND (d.lease_until IS NULL OR d.lease_until < ${now})
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
              WHERE e.webhook_id = d.webhook_id AND e.subject = d.subject AND e.status = 'PENDING' AND e.seq < d.seq)
          ORDER BY d.seq LIMIT ${limit}`)
        const out: ClaimedDelivery[] = []
        for (const { id } of due) {
          const lease = randomUUID()
          const row = tx
            .update(t.webhookDeliveries)
            .set({ leaseUntil, leaseId: lease, attempts: sql`${t.webhookDeliveries.attempts} + 1` })
            .where(eq(t.webhookDeliveries.id, id))
            .returning()
            .get()
          const webhook = tx.select().from(t.webhooks).where(eq(t.webhooks.id, row.webhookId)).get()
          if (webhook) out.push({ delivery: deliveryRecord(row), webhook: webhookRecord(webhook), lease })
        }
        return out
      })
    },

    completeWebhookDelivery(claim: ClaimedDelivery, o: DeliveryOutcome): Promise<boolean> {
      return keep((tx) => {
        const status: WebhookDeliveryStatus = o.ok ? 'DELIVERED' : o.retryAt === null ? 'FAILED' : 'PENDING'
        const changed = tx
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
          .run().changes
        if (changed === 0) return false
        tx.update(t.webhooks)
          .set({ failingSince: o.ok ? null : sql`coalesce(${t.webhooks.failingSince}, ${o.at})` })
          .where(eq(t.webhooks.id, claim.webhook.id))
          .run()
        return true
      })
    },

    async getWebhookDelivery(id: string): Promise<WebhookDeliveryRecord | null> {
      const row = c.db.select().from(t.webhookDeliveries).where(eq(t.webhookDeliveries.id, id)).get()
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
      return c.db.select().from(t.webhookDeliveries).where(where).orderBy(desc(t.webhookDeliveries.seq)).limit(options.limit).all().map(deliveryRecord)
    },

    retryWebhookDelivery(id: string, at: number, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
      return writes.run({
        guard,
        run: (tx) => {
          const n = tx.update(t.webhookDeliveries).set({ status: 'PENDING', attempts: 0, nextAttemptAt: at, deliveredAt: null }).where(eq(t.webhookDeliveries.id, id)).run().changes
          return n === 0 ? { value: false, audit: null } : { value: true, audit: { event: audit, effect: { write: 'webhook' } } }
        },
      })
    },
  }
}
