// The one write protocol of both stores: begin the write transaction (holding the write lock),
// re-read and check what the write relies on (WriteGuard), write, append the audit event to the
// hash chain, record its webhook events (webhook-events.ts), announce the derived notices to other instances, commit, then publish to the outbox.
// A dialect supplies only its SQL for each step (WriteDialect). SQLite's steps are synchronous
// (better-sqlite3 cannot await inside a transaction) and PostgreSQL's are promises: the protocol is
// written over `Step`, which stays synchronous for the one and chains promises for the other.

import type { AuditEventInput, AuditEventRecord, GuardRows, StoreChange, WebhookEventInput, WriteGuard } from '../domain/model.js'
import { auditHash, auditHeadTag, GENESIS_HASH } from '../domain/audit-hash.js'
import { noticesOf, type Outbox, type WriteEffect } from './outbox.js'
import { webhookEventsOf } from './webhook-events.js'

/** A value now (SQLite) or later (PostgreSQL). */
export type Step<T> = T | Promise<T>

/** Applies `next` to a step's value: synchronously when it is there, else once the promise settles. */
export function then<A, B>(step: Step<A>, next: (value: A) => Step<B>): Step<B> {
  return step instanceof Promise ? step.then(next) : next(step)
}

/** The SQL of each protocol step, in one dialect. */
export interface WriteDialect<Tx> {
  /**
   * Runs `body` in a transaction that holds the write lock before anything is read, and settles
   * after the commit (or the rollback, when `body` throws).
   */
  transaction<T>(body: (tx: Tx) => Step<T>): Promise<T>
  /** The rows a guard names, read inside the transaction. */
  guardRows(tx: Tx, guard: WriteGuard): Step<GuardRows>
  /** The hash of the newest audit event, or null before the first. */
  lastAuditHash(tx: Tx): Step<string | null>
  /** Inserts an audit event row; returns its `seq`. */
  insertAuditEvent(tx: Tx, event: AuditEventInput, hash: string): Step<number>
  /** Sets a meta entry inside the transaction. */
  putMeta(tx: Tx, key: string, value: string): Step<void>
  /** Inserts the write's webhook events (docs/webhooks.md), inside its transaction. */
  insertWebhookEvents(tx: Tx, events: readonly WebhookEventInput[]): Step<void>
  /** Tells other instances, inside the transaction, what changed (PostgreSQL: NOTIFY, delivered on commit only). */
  announce?(tx: Tx, notices: readonly StoreChange[]): Step<void>
}

/** What a write did: its value and, when it changed anything, the event that records it and what it changed. */
export interface Written<T> {
  value: T
  audit: { event: AuditEventInput; effect: WriteEffect } | null
}

/** A write as an aggregate module states it: what it relies on, and its SQL. */
export interface Write<Tx, T> {
  guard?: WriteGuard | undefined
  run(tx: Tx): Step<Written<T>>
}

/** The audit chain's meta entries: the head beside the chain, so that deleting the newest events is detected too. */
const AUDIT_HEAD = 'audit_head'
const AUDIT_HEAD_TAG = 'audit_head_tag'

/** Runs writes through the protocol for one store. */
export class WriteProtocol<Tx> {
  readonly #dialect: WriteDialect<Tx>
  readonly #outbox: Outbox
  /** The audit chain's MAC key (from the master key), or null: plain SHA-256 links. */
  readonly #auditKey: Uint8Array | null

  constructor(dialect: WriteDialect<Tx>, outbox: Outbox, auditKey: Uint8Array | null) {
    this.#dialect = dialect
    this.#outbox = outbox
    this.#auditKey = auditKey
  }

  /** Runs one write; resolves with its value after the commit and after the outbox has been told. */
  async run<T>(write: Write<Tx, T>): Promise<T> {
    const { value, committed } = await this.#dialect.transaction((tx) => this.#inside(tx, write))
    if (committed) this.#outbox.publish(committed.event, committed.notices)
    return value
  }

  /** A write without an audit event (bookkeeping: usage counts, heartbeats): same transaction, nothing published. */
  async bookkeeping<T>(run: (tx: Tx) => Step<T>): Promise<T> {
    return this.#dialect.transaction(run)
  }

  #inside<T>(tx: Tx, write: Write<Tx, T>): Step<{ value: T; committed: { event: AuditEventRecord; notices: StoreChange[] } | null }> {
    const { guard } = write
    // Re-read after the lock: no write can commit between this check and ours.
    const checked = guard ? then(this.#dialect.guardRows(tx, guard), (rows) => guard.check(rows)) : undefined
    return then(checked, () =>
      then(write.run(tx), ({ value, audit }) => {
        if (!audit) return { value, committed: null }
        const notices = noticesOf(audit.effect)
        const hooks = webhookEventsOf(audit.event, audit.effect)
        return then(this.#append(tx, audit.event), (event) =>
          then(hooks.length > 0 ? this.#dialect.insertWebhookEvents(tx, hooks) : undefined, () =>
            then(notices.length > 0 ? this.#dialect.announce?.(tx, notices) : undefined, () => ({ value, committed: { event, notices } })),
          ),
        )
      }),
    )
  }

  /** Appends an event chained to the last one; the write lock keeps the chain linear. */
  #append(tx: Tx, event: AuditEventInput): Step<AuditEventRecord> {
    return then(this.#dialect.lastAuditHash(tx), (previous) => {
      const hash = auditHash(previous ?? GENESIS_HASH, event, this.#auditKey)
      return then(this.#dialect.insertAuditEvent(tx, event, hash), (seq) =>
        then(this.#dialect.putMeta(tx, AUDIT_HEAD, hash), () => {
          const record: AuditEventRecord = { ...event, seq, hash }
          // With a key, the head is under a MAC: deleting the newest events needs a tag no one without the key can make.
          return this.#auditKey ? then(this.#dialect.putMeta(tx, AUDIT_HEAD_TAG, auditHeadTag(this.#auditKey, hash)), () => record) : record
        }),
      )
    })
  }
}
