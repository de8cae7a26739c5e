// The storage ports: what the domain asks of a store, one small interface per aggregate, and `Store`
// their composition. They live beside the model (not in store/) because the domain defines what it
// needs and store/ implements it; nothing here names a database. Every method that changes data
// takes the audit event that records the change and commits both in one transaction.

import type {
  AppChanges,
  AppRecord,
  AuditEventInput,
  AuditEventRecord,
  AuditFilter,
  ClientSecretRecord,
  CloseScopes,
  DailyUsage,
  Page,
  Position,
  RotatedEnd,
  ScopeRecord,
  ScopeUsage,
  UsedScope,
  SigningKeyRecord,
  StoreChange,
  TokenFilter,
  TokenConstraints,
  TokenOrder,
  TokenName,
  TokenRecord,
  WriteGuard,
  ClaimedDelivery,
  DeliveryOutcome,
  ExpiryAnnouncement,
  WebhookChanges,
  WebhookDeliveryRecord,
  WebhookDeliveryStatus,
  WebhookRecord,
  WebhookStatus,
} from './model.js'

/** A committed audit event with the change notices derived from it (docs/outbox.md). */
export interface CommittedEvent {
  event: AuditEventRecord
  notices: readonly StoreChange[]
}

/** A side effect of writes: called after each commit of this instance, in commit order. */
export type OutboxSubscriber = (committed: CommittedEvent) => void | Promise<void>

/** Every committed write as an event, for side effects (cache invalidation, webhooks, live subscriptions). */
export interface OutboxFeed {
  subscribe(subscriber: OutboxSubscriber): void
}

export interface StoreLifecycle {
  readonly dialect: 'sqlite' | 'postgres'
  /**
   * Calls `listener` after every committed change that could make a cached answer stale: changes
   * made through this store at once, and (PostgreSQL) changes made by other instances.
   */
  subscribe(listener: (change: StoreChange) => void): void
  /** The committed audit events of this instance, each with its notices (docs/outbox.md). */
  readonly outbox: OutboxFeed
  /** Applies pending migrations. */
  migrate(): Promise<void>
  /** True when migrations are applied and the database answers. */
  ready(): Promise<boolean>
  close(): Promise<void>
  /** Creates the built-in scopes, the root app and the root token in one transaction; false if already initialised. */
  initialize(seed: { scopes: ScopeRecord[]; rootApp: AppRecord; rootToken: TokenRecord; audit: AuditEventInput }): Promise<boolean>
}

export interface MetaStore {
  getMeta(key: string): Promise<string | null>
  /** Sets a bookkeeping entry (such as an instance's usage heartbeat); not audited, not a change caches hear of. */
  setMeta(key: string, value: string): Promise<void>
  deleteMeta(key: string): Promise<void>
  /** Entries whose key starts with `prefix`. */
  listMeta(prefix: string): Promise<{ key: string; value: string }[]>
}

export interface ScopeStore {
  listScopes(): Promise<ScopeRecord[]>
  /** Inserts a scope and adds it to the root app's allowed scopes; false (nothing written) when the name is taken. */
  insertScope(scope: ScopeRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean>
}

export interface AppStore {
  getApp(id: string): Promise<AppRecord | null>
  /** Apps by id, in no particular order; unknown ids are left out (batch reads of a request's loaders). */
  getApps(ids: readonly string[]): Promise<AppRecord[]>
  listApps(options: { appId?: string | undefined; after?: Position | undefined; limit: number }): Promise<Page<AppRecord>>
  countApps(options: { appId?: string | undefined }): Promise<number>
  /** Inserts an app; false (nothing written) when another app has its name: app names are unique. */
  insertApp(app: AppRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean>
  /** Sets only the given fields of an app (a concurrent change to another field survives); false (nothing written) when the new name is another app's. */
  updateApp(id: string, changes: AppChanges, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean>
}

export interface TokenStore {
  getToken(id: string): Promise<TokenRecord | null>
  /** Tokens by id, in no particular order; unknown ids are left out (batch reads of a request's loaders). */
  getTokens(ids: readonly string[]): Promise<TokenRecord[]>
  /** As `getTokens`, only the id, app, subject and name: a page's `createdBy { id name }` decodes no whole row. */
  getTokenNames(ids: readonly string[]): Promise<TokenName[]>
  /** The tokens derived directly from any of `parentIds` (their children, not further descendants), in no particular order. */
  listChildTokens(parentIds: readonly string[]): Promise<TokenRecord[]>
  /** Tokens matching `filter`, by (created_at, id) from `after`; or, with `order`, by its sort key then id from `order.after`. */
  listTokens(filter: TokenFilter, options: { after?: Position | undefined; limit: number; order?: TokenOrder | undefined }): Promise<Page<TokenRecord>>
  countTokens(filter: TokenFilter): Promise<number>
  /**
   * Inserts a token. When `activeParentAt` is given, the insert happens only if the parent is
   * still unrevoked and unexpired at that instant, checked inside the transaction; returns false otherwise.
   */
  insertToken(token: TokenRecord, audit: AuditEventInput, activeParentAt?: number, guard?: WriteGuard): Promise<boolean>
  /** Revokes a token and, transitively, every token derived from it; returns the ids revoked now. */
  revokeTokenCascade(id: string, at: number, reason: string | null, audit: AuditEventInput, guard?: WriteGuard): Promise<string[]>
  /** Revokes several tokens and all their descendants in one transaction; returns the ids revoked now. */
  revokeTokensCascade(ids: readonly string[], at: number, reason: string | null, audit: AuditEventInput, guard?: WriteGuard): Promise<string[]>
  /**
   * Inserts the successor of a rotated token, moves the old token's children to it, sets the old
   * token's end (only the fields given) and records the rotation under meta key `rotatedKey(oldId)`.
   * A successor that spends credits takes the old token's balance (and refill time) as the
   * transaction finds it, never as read before: a credit spent meanwhile is not spent twice.
   */
  rotateToken(oldId: string, successor: TokenRecord, oldEnd: RotatedEnd, audit: AuditEventInput, guard?: WriteGuard): Promise<void>
  /**
   * Narrows a token to `scopes` (a subset of its own) and every token derived from it to what it
   * held that its parent's new scopes still imply (through `close`), so children never out-scope
   * their parent. Throws EmptiedTokensError, writing nothing, when a child would keep no scope.
   * Returns the tokens changed with their new scopes.
   */
  narrowTokenScopes(id: string, scopes: string[], audit: AuditEventInput, close?: CloseScopes, guard?: WriteGuard): Promise<{ id: string; scopes: string[] }[]>
  /** A token and every token derived from it, transitively, parents first: the family a revocation reaches (read only). */
  listTokenFamily(id: string): Promise<{ id: string; parentId: string | null }[]>
  /**
   * Sets the constraints and credit balance of each token in `changes` (a token and the descendants
   * narrowed with it) in one audited transaction.
   */
  setTokenConstraints(changes: readonly TokenConstraintChange[], audit: AuditEventInput, guard?: WriteGuard): Promise<void>
  /**
   * Spends one credit of a token at `now`, refilling first when a refill is due (computed from the
   * last refill time in the same statement): one atomic statement, so N concurrent spends against M
   * credits succeed exactly M times, on one instance or several. Returns the balance left, or null
   * when none was left (nothing spent) or the token spends no credits. Bookkeeping: not audited.
   * With `ancestors` (a derived token), one credit of each token it is derived from that spends
   * credits too, in the same transaction: all of them or none, so a family never spends more than
   * its root holds.
   */
  spendCredit(id: string, now: number, ancestors?: boolean): Promise<number | null>
  /** Appends an audit event about a token that changes no row (a use refused by its allowlist). */
  recordTokenEvent(audit: AuditEventInput): Promise<void>
}

/** One token's new constraints and balance, as `setTokenConstraints` writes them. */
export interface TokenConstraintChange {
  id: string
  constraints: TokenConstraints | null
  creditsRemaining: number | null
  creditsRefilledAt: number | null
}

export interface AuditStore {
  listAuditEvents(options: AuditFilter & { after?: number | undefined; limit: number }): Promise<Page<AuditEventRecord>>
  countAuditEvents(options: AuditFilter): Promise<number>
}

export interface SigningKeyStore {
  listSigningKeys(): Promise<SigningKeyRecord[]>
  /**
   * Inserts a new ACTIVE key and, in the same transaction, turns every other ACTIVE key RETIRING
   * until `retireAfter`. With `emergency`, every other key that is not RETIRED yet is RETIRED at
   * once (its private key wiped) and every unrevoked JWT they (or a key unrecorded) signed is
   * revoked with its derived tokens; returns the ids revoked. Refuses (KeyWriteRefused) a
   * plaintext private key into a database whose keys are sealed, checked inside the transaction.
   */
  insertSigningKey(key: SigningKeyRecord, retireAfter: number, audit: AuditEventInput, emergency?: { at: number; reason: string }, guard?: WriteGuard): Promise<string[]>
  /** Marks RETIRING keys RETIRED and wipes the private key of every key named that is RETIRED. */
  retireSigningKeys(kids: string[], audit: AuditEventInput): Promise<void>
  /** Replaces plaintext private keys by their sealed form (rows already sealed are left alone) and marks the database sealed. */
  sealSigningKeys(sealed: { kid: string; privateKey: string }[], audit: AuditEventInput): Promise<void>
  /**
   * Per signing kid (null: JWTs from before kids were recorded), the latest instant an unrevoked
   * JWT it signed stays usable: its expiry, or its creation + `maxLifetimeMs` if sooner (the cap
   * applies at use). Only JWTs still usable at `now` count.
   */
  jwtExpiriesByKid(now: number, maxLifetimeMs: number): Promise<Map<string | null, number>>
}

export interface ClientSecretStore {
  insertClientSecret(secret: ClientSecretRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<void>
  getClientSecret(id: string): Promise<ClientSecretRecord | null>
  listClientSecrets(appId: string): Promise<ClientSecretRecord[]>
  /** Sets revokedAt if unset; false when the secret was already revoked. */
  revokeClientSecret(id: string, at: number, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean>
}

export interface UsageStore {
  /**
   * Adds usage counts (from the in-memory aggregator) and advances each token's lastUsedAt; an entry
   * with scope '' only advances lastUsedAt. `needs` adds to the required-scope counts the same way,
   * and `daily` to the per-day counts (an entry with scope '' is ignored there too).
   */
  recordUsage(usage: ScopeUsage[], needs?: ScopeUsage[], daily?: DailyUsage[]): Promise<void>
  /** A token's per-day counts from `fromDay` (YYYY-MM-DD, inclusive) on, by day then scope. */
  listDailyUsage(tokenId: string, fromDay: string): Promise<DailyUsage[]>
  /** Deletes at most `limit` per-day counts of days before `day` (YYYY-MM-DD), every token's; returns how many. */
  deleteDailyUsageBefore(day: string, limit: number): Promise<number>
  /** The scopes tokens' requests required (the narrowest that would have sufficed), per token and scope. */
  listNeeds(tokenIds: readonly string[]): Promise<ScopeUsage[]>
  getUsage(tokenId: string): Promise<ScopeUsage[]>
  /** Usage rows of several tokens at once (for reports over a page of tokens), by token id, then scope. */
  listUsage(tokenIds: readonly string[]): Promise<ScopeUsage[]>
  /** As `listUsage`, only each row's token and scope (the key alone: a list's `usedScopes`). */
  listUsedScopes(tokenIds: readonly string[]): Promise<UsedScope[]>
}

/**
 * Webhooks, their webhook events and deliveries (docs/webhooks.md). Webhook events are written by
 * the audited writes themselves, in their own transaction (write-protocol.ts); `fanOutWebhookEvents`
 * turns them into deliveries, and deliveries are claimed under a lease by one instance at a time.
 */
export interface WebhookStore {
  insertWebhook(webhook: WebhookRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<void>
  /**
   * Sets only the given fields; false (nothing written, nothing audited) when the webhook does not
   * exist, or is no longer in `expectStatus` when one is given (checked under the write lock: two
   * instances disabling one failing webhook disable it once).
   */
  updateWebhook(id: string, changes: WebhookChanges, audit: AuditEventInput, guard?: WriteGuard, expectStatus?: WebhookStatus): Promise<boolean>
  /** Deletes a webhook and its deliveries; false when it did not exist. */
  deleteWebhook(id: string, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean>
  getWebhook(id: string): Promise<WebhookRecord | null>
  /** Every webhook, or those of one app, oldest first. */
  listWebhooks(options: { appId?: string | undefined }): Promise<WebhookRecord[]>
  /**
   * Turns pending webhook events (oldest first, at most `limit`) into one delivery per ACTIVE webhook
   * that subscribes to the type, belongs to the event's app or to the root app, and existed when it
   * happened; removes them, all in one transaction that one instance at a time runs. Returns how many
   * events it took.
   */
  fanOutWebhookEvents(now: number, limit: number): Promise<number>
  /** Which of these announcement keys (`expiring:<token>:<threshold ms>`, `expired:<token>`) are recorded already. */
  listAnnounced(keys: readonly string[]): Promise<Set<string>>
  /**
   * Records an expiry announcement once (docs/webhooks.md): its key, its audit event (`token.expiring`
   * or `token.expired`, read by subscriptions) and, while a webhook is ACTIVE, its webhook event, in
   * one write. False, and nothing written, when the key was recorded before (by any instance).
   */
  announceExpiry(announcement: ExpiryAnnouncement, audit: AuditEventInput): Promise<boolean>
  /**
   * Claims up to `limit` deliveries due at `now` whose webhook is ACTIVE and that no earlier
   * PENDING delivery of the same webhook and subject precedes; each is leased to this claim until
   * `leaseUntil` (PostgreSQL: FOR UPDATE SKIP LOCKED) and its attempt counted.
   */
  claimWebhookDeliveries(now: number, leaseUntil: number, limit: number): Promise<ClaimedDelivery[]>
  /**
   * Records attempts' outcomes, in one transaction: each only if its lease still holds (false in its
   * place when the lease was lost); updates each webhook's failingSince.
   */
  completeWebhookDeliveries(outcomes: readonly { claim: ClaimedDelivery; outcome: DeliveryOutcome }[]): Promise<boolean[]>
  getWebhookDelivery(id: string): Promise<WebhookDeliveryRecord | null>
  /** Deliveries, newest first. */
  listWebhookDeliveries(options: {
    webhookId?: string | undefined
    appId?: string | undefined
    status?: WebhookDeliveryStatus | undefined
    limit: number
  }): Promise<WebhookDeliveryRecord[]>
  /** Makes a delivery PENDING and due at `at` again (its attempts start over); false when it does not exist. */
  retryWebhookDelivery(id: string, at: number, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean>
  /**
   * Retention (docs/webhooks.md), bookkeeping (not audited): deletes at most `limit` deliveries,
   * DELIVERED ones delivered before `before` and FAILED ones last attempted before it, in one
   * statement; never a PENDING one. Returns how many it deleted. Safe to run on several instances at once.
   */
  deleteOldWebhookDeliveries(before: number, limit: number): Promise<number>
  /**
   * Retention of announcement keys, bookkeeping: deletes at most `limit` keys (`expiring:…`,
   * `expired:…`; no other form) recorded before `recordedBefore` whose token no longer exists or
   * expired before `expiredBefore`, in one statement. The caller chooses `expiredBefore` so that no
   * sweep can announce such a token again (src/webhooks/retention.ts). Returns how many it deleted.
   */
  deleteSpentAnnouncements(options: { recordedBefore: number; expiredBefore: number; limit: number }): Promise<number>
}

/** The whole storage contract: every aggregate's port plus the store's lifecycle. */
export interface Store extends StoreLifecycle, MetaStore, ScopeStore, AppStore, TokenStore, AuditStore, SigningKeyStore, ClientSecretStore, UsageStore, WebhookStore {}
