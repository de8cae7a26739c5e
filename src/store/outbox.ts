// The outbox: every committed write's audit event, turned into the change notices caches must hear
// of and handed to subscribers after the commit. Both dialects publish through here, so a write
// announces the same notices on SQLite and PostgreSQL (docs/outbox.md states the protocol).

import type { AuditEventRecord, ExpiryAnnouncement, StoreChange } from '../domain/model.js'
import type { CommittedEvent, OutboxFeed, OutboxSubscriber } from '../domain/ports.js'

/**
 * What a committed write changed, as the store method that made it knows it: the audit event alone
 * does not always say (an app update's event may leave `target` empty), and deriving by action name
 * would let a new action skip cache invalidation silently. A closed union: a new kind of write does
 * not compile until `noticesOf` says what it announces.
 */
export type WriteEffect =
  | { write: 'initialize' }
  | { write: 'insertScope' }
  | { write: 'insertApp' }
  | { write: 'updateApp'; appId: string; /** Set when the change disabled (a time) or enabled (null) the app. */ disabledAt?: number | null | undefined }
  | { write: 'insertToken'; tokenId: string }
  | { write: 'rotateToken'; oldId: string; successorId: string }
  | { write: 'revokeTokens'; revoked: readonly string[] }
  | { write: 'narrowTokenScopes'; changed: readonly string[]; scopes: readonly { id: string; scopes: string[] }[] }
  | { write: 'setTokenConstraints'; changed: readonly string[] }
  | { write: 'tokenEvent' }
  | { write: 'expiryAnnounced'; announcement: ExpiryAnnouncement }
  | { write: 'insertSigningKey'; revoked: readonly string[]; kid: string }
  | { write: 'retireSigningKeys' }
  | { write: 'sealSigningKeys' }
  | { write: 'insertClientSecret' }
  | { write: 'revokeClientSecret' }
  | { write: 'webhook' }

/**
 * The change notices of a committed write: the one derivation both dialects use (PostgreSQL then
 * NOTIFYs what it returns to the other instances). Writes no cache holds (a new token, app or
 * secret: caches miss on what they never saw) announce nothing.
 */
export function noticesOf(effect: WriteEffect): StoreChange[] {
  switch (effect.write) {
    case 'initialize':
    case 'insertApp':
    case 'insertToken':
    case 'insertClientSecret':
    case 'revokeClientSecret':
    case 'tokenEvent':
    case 'expiryAnnounced':
    case 'webhook':
      return []
    case 'insertScope':
      return [{ kind: 'scopes' }]
    case 'updateApp':
      return [{ kind: 'app', id: effect.appId }]
    case 'rotateToken':
      return [{ kind: 'token', ids: [effect.oldId] }]
    case 'revokeTokens':
      return effect.revoked.length > 0 ? [{ kind: 'token', ids: effect.revoked }] : []
    case 'narrowTokenScopes':
    case 'setTokenConstraints':
      return effect.changed.length > 0 ? [{ kind: 'token', ids: effect.changed }] : []
    case 'insertSigningKey':
      // An emergency rotation revoked JWTs (and what derives from them) besides changing the keys: every cache starts over.
      return [effect.revoked.length > 0 ? { kind: 'all' } : { kind: 'keys' }]
    case 'retireSigningKeys':
    case 'sealSigningKeys':
      return [{ kind: 'keys' }]
  }
}

/** Where a subscriber's failure goes; it never reaches the write, which has committed already. */
export type SubscriberErrorHandler = (error: unknown, committed: CommittedEvent | StoreChange) => void

const warn: SubscriberErrorHandler = (error) =>
  process.emitWarning(`an outbox subscriber failed: ${error instanceof Error ? error.message : String(error)}`, 'ScopewardOutboxWarning')

/**
 * One store's outbox. `publish` is called once per committed write of this instance, after the
 * commit, in commit order; `heard` carries notices that did not come from a local commit (another
 * instance's NOTIFY, or 'all' after notifications were lost).
 */
export class Outbox implements OutboxFeed {
  readonly #subscribers: OutboxSubscriber[] = []
  readonly #listeners: ((change: StoreChange) => void)[] = []
  readonly #onError: SubscriberErrorHandler

  constructor(options: { onError?: SubscriberErrorHandler } = {}) {
    this.#onError = options.onError ?? warn
  }

  subscribe(subscriber: OutboxSubscriber): void {
    this.#subscribers.push(subscriber)
  }

  /** A cache's listener: hears the notices of local commits and of other instances alike (Store.subscribe). */
  listen(listener: (change: StoreChange) => void): void {
    this.#listeners.push(listener)
  }

  /** Delivers a committed event: its notices to the listeners, then the event to the subscribers. */
  publish(event: AuditEventRecord, notices: readonly StoreChange[]): void {
    for (const change of notices) this.heard(change)
    const committed: CommittedEvent = { event, notices }
    for (const subscriber of this.#subscribers) {
      try {
        const done = subscriber(committed)
        if (done instanceof Promise) done.catch((error: unknown) => this.#onError(error, committed))
      } catch (error) {
        this.#onError(error, committed)
      }
    }
  }

  /** Delivers a notice to the listeners (a throwing listener does not keep it from the others). */
  heard(change: StoreChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change)
      } catch (error) {
        this.#onError(error, change)
      }
    }
  }
}
