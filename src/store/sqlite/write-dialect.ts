// The SQLite steps of the write protocol (write-protocol.ts), with group commit: writes requested in
// the same turn of the event loop run in one SQLite transaction, each in a savepoint of its own (a
// failing write rolls back only itself), so N concurrent writes cost one fsync instead of N. Each
// promise settles after the commit, so an acknowledged write is durable exactly as with a transaction
// of its own.

import type Database from 'better-sqlite3'
import { desc, inArray } from 'drizzle-orm'
import type { AppRecord, AuditEventInput, GuardRows, TokenRecord, WebhookEventInput, WriteGuard } from '../../domain/model.js'
import * as t from '../sqlite-schema.js'
import type { Step, WriteDialect } from '../write-protocol.js'
import type { SqliteConnection, Tx } from './connection.js'
import { appFromRow, tokenFromRow } from './rows.js'
import { clientSecretRecord, signingKeyRecord } from '../records.js'

interface PendingWrite {
  /** Runs the write in a savepoint of the batch's transaction, keeping its outcome. */
  run(tx: Tx): void
  /** Settles the write's promise once the batch has committed (or failed with `batchError`). */
  settle(batchFailed: { error: unknown } | null): void
}

export class SqliteWriteDialect implements WriteDialect<Tx> {
  readonly #connection: SqliteConnection
  #pending: PendingWrite[] = []
  #lastHash: ReturnType<typeof prepareLastHash> | undefined
  #anyWebhook: Database.Statement<[], { one: number }> | undefined
  #insertWebhookEvent: Database.Statement<[string, string, number, string, string]> | undefined

  constructor(connection: SqliteConnection) {
    this.#connection = connection
  }

  transaction<T>(body: (tx: Tx) => Step<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let outcome: { ok: true; value: T } | { ok: false; error: unknown } = { ok: false, error: new Error('the write did not run') }
      this.#pending.push({
        run: (tx) => {
          try {
            outcome = { ok: true, value: tx.transaction((savepoint) => synchronous(body(savepoint))) }
          } catch (error) {
            outcome = { ok: false, error }
          }
        },
        settle: (batchFailed) => {
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes on what the batch threw, unchanged
          if (batchFailed) reject(batchFailed.error)
          else if (outcome.ok) resolve(outcome.value)
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes on what the transaction threw, unchanged
          else reject(outcome.error)
        },
      })
      if (this.#pending.length === 1) setImmediate(() => this.commit())
    })
  }

  /** Commits the writes pending now (close() calls it so that none is lost). */
  commit(): void {
    const batch = this.#pending
    this.#pending = []
    if (batch.length === 0) return
    try {
      // IMMEDIATE: the write lock is taken (waiting up to busy_timeout for another process, such as
      // the command line) before anything is read, so no read inside can go stale before the write.
      this.#connection.db.transaction(
        (tx) => {
          for (const write of batch) write.run(tx)
        },
        { behavior: 'immediate' },
      )
    } catch (error) {
      for (const write of batch) write.settle({ error })
      return
    }
    for (const write of batch) write.settle(null)
  }

  /** The rows a guard names, read inside the write transaction (which, being IMMEDIATE, holds the write lock). */
  guardRows(tx: Tx, guard: WriteGuard): GuardRows {
    const tokens = new Map<string, TokenRecord>()
    for (const id of guard.tokens ?? []) {
      const row = this.#connection.tokenById().get(id)
      if (row) tokens.set(id, tokenFromRow(row))
    }
    const apps = new Map<string, AppRecord>()
    for (const id of guard.apps ?? []) {
      const row = this.#connection.appById().get(id)
      if (row) apps.set(id, appFromRow(row))
    }
    const some = <R>(ids: readonly string[] | undefined, read: (ids: string[]) => R[], key: (row: R) => string): Map<string, R> =>
      new Map(ids?.length ? read([...ids]).map((row) => [key(row), row]) : [])
    return {
      tokens,
      apps,
      clientSecrets: some(
        guard.clientSecrets,
        (ids) => tx.select().from(t.clientSecrets).where(inArray(t.clientSecrets.id, ids)).all().map(clientSecretRecord),
        (r) => r.id,
      ),
      signingKeys: some(
        guard.signingKeys,
        (ids) => tx.select().from(t.signingKeys).where(inArray(t.signingKeys.kid, ids)).all().map(signingKeyRecord),
        (r) => r.kid,
      ),
      meta: new Map(
        (guard.meta?.length
          ? tx
              .select()
              .from(t.meta)
              .where(inArray(t.meta.key, [...guard.meta]))
              .all()
          : []
        ).map((r) => [r.key, r.value]),
      ),
    }
  }

  lastAuditHash(): string | null {
    this.#lastHash ??= prepareLastHash(this.#connection)
    return this.#lastHash.get()?.hash ?? null
  }

  insertAuditEvent(tx: Tx, event: AuditEventInput, hash: string): number {
    return tx
      .insert(t.auditEvents)
      .values({ ...event, hash })
      .returning({ seq: t.auditEvents.seq })
      .get().seq
  }

  /**
   * Inserts the events only while some webhook is ACTIVE: fan-out gives an event only to webhooks
   * active and existing when it happened, so an event recorded with none could never be delivered
   * (checked under the write lock, so no webhook can appear between the check and the commit).
   */
  insertWebhookEvents(_tx: Tx, events: readonly WebhookEventInput[]): void {
    this.#anyWebhook ??= this.#connection.sqlite.prepare<[], { one: number }>("SELECT 1 AS one FROM webhooks WHERE status = 'ACTIVE' LIMIT 1")
    if (!this.#anyWebhook.get()) return
    // Prepared once (a statement per write while a webhook is active); inside the write's transaction, which is this connection's.
    this.#insertWebhookEvent ??= this.#connection.sqlite.prepare<[string, string, number, string, string]>(
      'INSERT INTO webhook_events (id, type, at, subject, data) VALUES (?, ?, ?, ?, ?)',
    )
    for (const e of events) this.#insertWebhookEvent.run(e.id, e.type, e.at, e.subject, JSON.stringify(e.data))
  }

  putMeta(tx: Tx, key: string, value: string): void {
    tx.insert(t.meta).values({ key, value }).onConflictDoUpdate({ target: t.meta.key, set: { value } }).run()
  }
}

function prepareLastHash(connection: SqliteConnection) {
  return connection.db.select({ hash: t.auditEvents.hash }).from(t.auditEvents).orderBy(desc(t.auditEvents.seq)).limit(1).prepare()
}

/** A step's value; better-sqlite3 cannot keep a transaction open across an await, so a promise here is a bug. */
function synchronous<T>(step: Step<T>): T {
  if (step instanceof Promise) {
    step.catch(() => undefined)
    throw new Error('a SQLite write step returned a promise: its SQL must run synchronously')
  }
  return step
}
