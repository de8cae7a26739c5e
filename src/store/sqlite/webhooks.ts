import { randomUUID } from 'node:crypto'
import type Database from 'better-sqlite3'
import { and, asc, desc, eq, getTableColumns, inArray, lte, sql } from 'drizzle-orm'
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
import { deleteOldDeliveriesSql, deleteSpentAnnouncementsSql } from '../webhook-retention-sql.js'
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
  let claim: ReturnType<typeof prepareClaim> | null = null
  let complete: ReturnType<typeof prepareComplete> | null = null
  let insertDelivery: Database.Statement<[string, string, string, string, string, string, string, number, number]> | null = null
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
          // One prepared statement per row: cheaper than building a multi-row insert at every fan-out.
          insertDelivery ??= c.sqlite.prepare<[string, string, string, string, string, string, string, number, number]>(
            `INSERT INTO webhook_deliveries (id, webhook_id, app_id, event_id, event_type, subject, payload, status, attempts, next_attempt_at, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'PENDING', 0, ?, ?)`,
          )
          for (const d of deliveriesOf(events, { webhooks, tokens, apps }, now))
            insertDelivery.run(d.id, d.webhookId, d.appId, d.eventId, d.eventType, d.subject, d.payload, d.nextAttemptAt, d.createdAt)
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
      claim ??= prepareClaim(c)
      const { due, webhook } = claim
      return keep(() => {
        // One statement for the batch, one lease id for it (an outcome is recorded only under the lease of its claim).
        const lease = randomUUID()
        const rows = due.all({ now, until: leaseUntil, lease, limit })
        if (rows.length === 0) return []
        const webhooks = new Map<string, WebhookRecord | null>()
        return rows
          .sort((a, b) => a.seq - b.seq)
          .flatMap((row) => {
            if (!webhooks.has(row.webhookId)) {
              const w = webhook.get({ id: row.webhookId })
              webhooks.set(row.webhookId, w ? webhookRecord(w) : null)
            }
            const w = webhooks.get(row.webhookId)
            return w ? [{ delivery: deliveryRecord(row), webhook: w, lease }] : []
          })
      })
    },

    completeWebhookDeliveries(outcomes: readonly { claim: ClaimedDelivery; outcome: DeliveryOutcome }[]): Promise<boolean[]> {
      if (outcomes.length === 0) return Promise.resolve([])
      // Prepared once, and one transaction (one commit) for a round's outcomes: the dispatcher's most frequent write.
      complete ??= prepareComplete(c)
      const { outcome, failing, recovered } = complete
      return keep(() =>
        outcomes.map(({ claim, outcome: o }) => {
          const status: WebhookDeliveryStatus = o.ok ? 'DELIVERED' : o.retryAt === null ? 'FAILED' : 'PENDING'
          const changed = outcome.run({
            status,
            next: o.retryAt ?? o.at,
            at: o.at,
            code: o.statusCode,
            error: o.error,
            body: o.responseBody,
            delivered: o.ok ? o.at : null,
            id: claim.delivery.id,
            lease: claim.lease,
          }).changes
          if (changed === 0) return false
          if (o.ok) recovered.run(claim.webhook.id)
          else failing.run(o.at, claim.webhook.id)
          return true
        }),
      )
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

    deleteOldWebhookDeliveries(before: number, limit: number): Promise<number> {
      // Its own short transaction per batch: the write lock is let go between batches.
      return keep((tx) => tx.run(deleteOldDeliveriesSql(before, limit, false)).changes)
    },

    deleteSpentAnnouncements(options: { recordedBefore: number; expiredBefore: number; limit: number }): Promise<number> {
      return keep((tx) => tx.run(deleteSpentAnnouncementsSql(options, false)).changes)
    },
  }
}

/** The statements of an attempt's outcome: the delivery under its lease, then the webhook's failure record. */
type DeliveryRow = typeof t.webhookDeliveries.$inferSelect

/**
 * The claim, prepared once: it runs at every dispatcher round. The due deliveries are taken in the order of
 * `webhook_deliveries_due_idx` (status, next attempt, then seq, the rowid the index ends with), so the
 * statement stops after `limit` claimable rows however many are pending; ordering by seq alone would
 * read and sort every pending row at every round, a cost that grows with a backlog.
 */
function prepareClaim(c: SqliteConnection) {
  const columns = Object.entries(getTableColumns(t.webhookDeliveries))
    .map(([key, column]) => `${column.name} AS "${key}"`)
    .join(', ')
  return {
    due: c.sqlite.prepare<{ now: number; until: number; lease: string; limit: number }, DeliveryRow>(
      `UPDATE webhook_deliveries SET lease_until = @until, lease_id = @lease, attempts = attempts + 1
       WHERE id IN (
         SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
         WHERE d.status = 'PENDING' AND w.status = 'ACTIVE' AND d.next_attempt_at <= @now
           AND (d.lease_until IS NULL OR d.lease_until < @now)
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
             WHERE e.webhook_id = d.webhook_id AND e.subject = d.subject AND e.status = 'PENDING' AND e.seq < d.seq)
         ORDER BY d.next_attempt_at, d.seq LIMIT @limit)
       RETURNING ${columns}`,
    ),
    webhook: c.db
      .select()
      .from(t.webhooks)
      .where(eq(t.webhooks.id, sql.placeholder('id')))
      .prepare(),
  }
}

function prepareComplete(c: SqliteConnection) {
  return {
    outcome: c.sqlite.prepare<{
      status: string
      next: number
      at: number
      code: number | null
      error: string | null
      body: string | null
      delivered: number | null
      id: string
      lease: string
    }>(
      `UPDATE webhook_deliveries SET status = @status, next_attempt_at = @next, lease_until = NULL, lease_id = NULL, last_attempt_at = @at,
         last_status_code = @code, last_error = @error, last_response_body = @body, delivered_at = @delivered
       WHERE id = @id AND lease_id = @lease`,
    ),
    // Written only when it changes: a healthy webhook's row is not rewritten at every delivery.
    recovered: c.sqlite.prepare<[string]>('UPDATE webhooks SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL'),
    failing: c.sqlite.prepare<[number, string]>('UPDATE webhooks SET failing_since = coalesce(failing_since, ?) WHERE id = ?'),
  }
}
