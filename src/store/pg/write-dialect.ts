// The PostgreSQL steps of the write protocol (write-protocol.ts): one transaction under the
// cluster-wide write lock, guard rows locked FOR UPDATE, and the derived notices NOTIFYed inside the
// transaction (PostgreSQL delivers a NOTIFY on commit, never on rollback).

import { desc, inArray, sql } from 'drizzle-orm'
import type { AuditEventInput, GuardRows, StoreChange, WebhookEventInput, WriteGuard } from '../../domain/model.js'
import { CHANGE_CHANNEL, noticePayload } from '../pg-change-listener.js'
import * as t from '../pg-schema.js'
import type { WriteDialect } from '../write-protocol.js'
import { WRITE_LOCK, type PgConnection, type Tx } from './connection.js'
import { appRecord, clientSecretRecord, signingKeyRecord, tokenRecord } from '../records.js'

export class PgWriteDialect implements WriteDialect<Tx> {
  readonly #connection: PgConnection
  /** This instance's id in NOTIFY payloads: its own notices were delivered at commit already. */
  readonly #origin: string

  constructor(connection: PgConnection, origin: string) {
    this.#connection = connection
    this.#origin = origin
  }

  transaction<T>(body: (tx: Tx) => T | Promise<T>): Promise<T> {
    return this.#connection.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${WRITE_LOCK})`)
      return body(tx)
    })
  }

  /** The rows a guard names, read under the write lock and locked FOR UPDATE until the transaction ends. */
  async guardRows(tx: Tx, guard: WriteGuard): Promise<GuardRows> {
    const read = async <R>(ids: readonly string[] | undefined, query: (ids: string[]) => Promise<R[]>, key: (row: R) => string): Promise<Map<string, R>> =>
      new Map(ids?.length ? (await query([...ids])).map((row) => [key(row), row]) : [])
    const meta = await read(
      guard.meta,
      (ids) => tx.select().from(t.meta).where(inArray(t.meta.key, ids)).for('update'),
      (r) => r.key,
    )
    return {
      tokens: await read(
        guard.tokens,
        async (ids) => (await tx.select().from(t.tokens).where(inArray(t.tokens.id, ids)).for('update')).map(tokenRecord),
        (r) => r.id,
      ),
      apps: await read(
        guard.apps,
        async (ids) => (await tx.select().from(t.apps).where(inArray(t.apps.id, ids)).for('update')).map(appRecord),
        (r) => r.id,
      ),
      clientSecrets: await read(
        guard.clientSecrets,
        async (ids) => (await tx.select().from(t.clientSecrets).where(inArray(t.clientSecrets.id, ids)).for('update')).map(clientSecretRecord),
        (r) => r.id,
      ),
      signingKeys: await read(
        guard.signingKeys,
        async (ids) => (await tx.select().from(t.signingKeys).where(inArray(t.signingKeys.kid, ids)).for('update')).map(signingKeyRecord),
        (r) => r.kid,
      ),
      meta: new Map([...meta].map(([k, r]) => [k, r.value])),
    }
  }

  async lastAuditHash(tx: Tx): Promise<string | null> {
    const [last] = await tx.select({ hash: t.auditEvents.hash }).from(t.auditEvents).orderBy(desc(t.auditEvents.seq)).limit(1)
    return last?.hash ?? null
  }

  async insertAuditEvent(tx: Tx, event: AuditEventInput, hash: string): Promise<number> {
    const [row] = await tx
      .insert(t.auditEvents)
      .values({ ...event, hash })
      .returning({ seq: t.auditEvents.seq })
    if (!row) throw new Error('the audit event insert returned no row')
    return row.seq
  }

  /**
   * Inserts the events only while some webhook is ACTIVE (one statement, one round trip): fan-out
   * gives an event only to webhooks active and existing when it happened, so an event recorded with
   * none could never be delivered. Under the write lock no webhook appears between check and commit.
   */
  async insertWebhookEvents(tx: Tx, events: readonly WebhookEventInput[]): Promise<void> {
    await tx.execute(sql`
      INSERT INTO webhook_events (id, type, at, subject, data)
      SELECT x.id, x.type, x.at, x.subject, x.data FROM jsonb_to_recordset(${JSON.stringify(events)}::jsonb) AS x(id text, type text, at bigint, subject text, data jsonb)
      WHERE EXISTS (SELECT 1 FROM webhooks WHERE status = 'ACTIVE')`)
  }

  async putMeta(tx: Tx, key: string, value: string): Promise<void> {
    await tx.insert(t.meta).values({ key, value }).onConflictDoUpdate({ target: t.meta.key, set: { value } })
  }

  async announce(tx: Tx, notices: readonly StoreChange[]): Promise<void> {
    await tx.execute(sql`SELECT pg_notify(${CHANGE_CHANNEL}, ${noticePayload(this.#origin, notices)})`)
  }
}
