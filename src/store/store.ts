// The storage contract the domain talks to. Every method that changes data takes the audit
// event that records the change and commits both in one transaction. Times are epoch ms.

import type { CloseScopes } from './narrow-family.js'

export type TokenKind = 'OPAQUE' | 'JWT'
export type TokenStatus = 'ACTIVE' | 'EXPIRED' | 'REVOKED'

export interface ScopeRecord {
  name: string
  description: string
  implies: string[]
  builtIn: boolean
  createdAt: number
}

export interface AppRecord {
  id: string
  name: string
  description: string | null
  allowedScopes: string[]
  maxTokenLifetimeMs: number | null
  isRoot: boolean
  createdAt: number
  disabledAt: number | null
}

export interface TokenRecord {
  id: string
  appId: string
  subject: string | null
  name: string
  kind: TokenKind
  scopes: string[]
  secretHash: string | null
  createdAt: number
  expiresAt: number | null
  revokedAt: number | null
  revokeReason: string | null
  lastUsedAt: number | null
  createdBy: string | null
  parentId: string | null
  /** For a JWT: the kid of the key that signed it. */
  kid: string | null
  /** The issuer this token is bound to (lives no longer than it, revoked with its family); null: none. */
  boundTo: string | null
}

export type SigningKeyStatus = 'ACTIVE' | 'RETIRING' | 'RETIRED'

export interface SigningKeyRecord {
  kid: string
  alg: string
  status: SigningKeyStatus
  /** The public JWK, JSON. */
  publicJwk: string
  /** The private JWK: a compact JWE (dir + A256GCM) under the master key, or JSON without one. */
  privateKey: string
  createdAt: number
  /** When RETIRING: after this instant no token it signed is still valid, and it becomes RETIRED. */
  retireAfter: number | null
  /** Pre-publication: the key is in the JWKS but signs only from this instant on; null: at once. */
  activatesAt: number | null
}

/** A write the signing-key rules forbid, refused inside the transaction (e.g. a plaintext key into a sealed database). */
export class KeyWriteRefused extends Error {
  override name = 'KeyWriteRefused'
}

/** A stored private key that is plain JWK JSON (a sealed one is a compact JWE; a wiped one is empty). */
export const isPlaintextKey = (privateKey: string): boolean => privateKey.startsWith('{')

/** `meta` key set once any signing key of the database is sealed under a master key. */
export const KEYS_SEALED_META = 'signing_keys_sealed'

export interface ClientSecretRecord {
  id: string
  appId: string
  /** SHA-256 (hex) of the secret part. */
  secretHash: string
  createdAt: number
  revokedAt: number | null
  /** The most a client_credentials grant with this secret may carry; null (secrets older than ceilings): nothing. */
  scopes: string[] | null
  /** The audit actor that created it. */
  createdBy: string | null
  lastUsedAt: number | null
}

export interface AuditEventInput {
  id: string
  at: number
  actor: string | null
  appId: string | null
  action: string
  target: string | null
  requestId: string | null
  ip: string | null
  details: Record<string, unknown>
}

export interface AuditEventRecord extends AuditEventInput {
  seq: number
  hash: string
}

/** A keyset position in a list ordered by (createdAt, id): stable while rows are inserted. */
export interface Position {
  createdAt: number
  id: string
}

export interface TokenFilter {
  appId?: string | undefined
  subject?: string | undefined
  status?: TokenStatus | undefined
  /** Only tokens holding this scope (as granted, not through implies). */
  scope?: string | undefined
  createdBefore?: number | undefined
  /** Only tokens issued or derived by this token. */
  createdBy?: string | undefined
  /** Only tokens with an expiry at or before this instant. */
  expiresBefore?: number | undefined
  /** Only tokens that never expire. */
  neverExpires?: boolean | undefined
  /** Evaluates `status` against this instant. */
  now: number
  /** The instance-wide maximum lifetime, applied by `status` as apps' own maximum is. */
  maxLifetimeMs?: number | undefined
}

export interface AuditFilter {
  appId?: string | undefined
  actor?: string | undefined
  action?: string | undefined
  target?: string | undefined
  from?: number | undefined
  to?: number | undefined
}

export interface Page<T> {
  rows: T[]
  hasNextPage: boolean
}

export interface ScopeUsage {
  tokenId: string
  scope: string
  count: number
  lastUsedAt: number
}

/**
 * A change that caches must hear of: a token (revoked, narrowed, rotated, re-parented), an app,
 * the signing keys, the scope catalogue, or 'all' (a gap in notifications: drop every cache).
 */
/** The rows a write guard re-read inside the write's transaction (absent ids map to nothing). */
export interface GuardRows {
  tokens: ReadonlyMap<string, TokenRecord>
  apps: ReadonlyMap<string, AppRecord>
  clientSecrets: ReadonlyMap<string, ClientSecretRecord>
  signingKeys: ReadonlyMap<string, SigningKeyRecord>
  meta: ReadonlyMap<string, string>
}

/**
 * What a write relies on (its caller, its app, the rows its decision read), re-read inside the
 * write's own transaction, after the write lock is held (PostgreSQL: the transaction-wide advisory
 * lock, plus FOR UPDATE on the rows; SQLite: BEGIN IMMEDIATE). `check` throws the error the
 * pre-check would give when a row no longer allows the write; nothing is written then.
 */
export interface WriteGuard {
  tokens?: readonly string[]
  apps?: readonly string[]
  clientSecrets?: readonly string[]
  signingKeys?: readonly string[]
  meta?: readonly string[]
  check(rows: GuardRows): void
}

/** The fields of an app a change may set: each is written on its own, never the whole row back. */
export type AppChanges = Partial<Pick<AppRecord, 'name' | 'description' | 'allowedScopes' | 'maxTokenLifetimeMs' | 'disabledAt'>>

export type StoreChange = { kind: 'token'; ids: readonly string[] } | { kind: 'app'; id: string } | { kind: 'keys' } | { kind: 'scopes' } | { kind: 'all' }

export interface Store {
  readonly dialect: 'sqlite' | 'postgres'
  /**
   * Calls `listener` after every committed change that could make a cached answer stale: changes
   * made through this store at once, and (PostgreSQL) changes made by other instances.
   */
  subscribe(listener: (change: StoreChange) => void): void
  /** Applies pending migrations. */
  migrate(): Promise<void>
  /** True when migrations are applied and the database answers. */
  ready(): Promise<boolean>
  close(): Promise<void>

  getMeta(key: string): Promise<string | null>
  /** Sets a bookkeeping entry (such as an instance's usage heartbeat); not audited, not a change caches hear of. */
  setMeta(key: string, value: string): Promise<void>
  deleteMeta(key: string): Promise<void>
  /** Entries whose key starts with `prefix`. */
  listMeta(prefix: string): Promise<{ key: string; value: string }[]>
  /** Creates the built-in scopes, the root app and the root token in one transaction; false if already initialised. */
  initialize(seed: { scopes: ScopeRecord[]; rootApp: AppRecord; rootToken: TokenRecord; audit: AuditEventInput }): Promise<boolean>

  listScopes(): Promise<ScopeRecord[]>
  /** Inserts a scope and adds it to the root app's allowed scopes; false (nothing written) when the name is taken. */
  insertScope(scope: ScopeRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean>

  getApp(id: string): Promise<AppRecord | null>
  listApps(options: { appId?: string | undefined; after?: Position | undefined; limit: number }): Promise<Page<AppRecord>>
  countApps(options: { appId?: string | undefined }): Promise<number>
  insertApp(app: AppRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<void>
  /** Sets only the given fields of an app (a concurrent change to another field survives). */
  updateApp(id: string, changes: AppChanges, audit: AuditEventInput, guard?: WriteGuard): Promise<void>

  getToken(id: string): Promise<TokenRecord | null>
  listTokens(filter: TokenFilter, options: { after?: Position | undefined; limit: number }): Promise<Page<TokenRecord>>
  countTokens(filter: TokenFilter): Promise<number>
  /**
   * Inserts a token. When `activeParentAt` is given, the insert happens only if the parent is
   * still unrevoked and unexpired at that instant, checked inside the transaction; returns false otherwise.
   */
  insertToken(token: TokenRecord, audit: AuditEventInput, activeParentAt?: number, guard?: WriteGuard): Promise<boolean>
  /** Revokes a token and, transitively, every token derived from it; returns the ids revoked now. */
  revokeTokenCascade(id: string, at: number, reason: string | null, audit: AuditEventInput, guard?: WriteGuard): Promise<string[]>
  /**
   * Inserts the successor of a rotated token, moves the old token's children to it, sets the old
   * token's end (only the fields given) and records the rotation under meta key `rotatedKey(oldId)`.
   */
  rotateToken(oldId: string, successor: TokenRecord, oldEnd: { expiresAt: number | null } | { revokedAt: number; revokeReason: string }, audit: AuditEventInput, guard?: WriteGuard): Promise<void>

  listAuditEvents(options: AuditFilter & { after?: number | undefined; limit: number }): Promise<Page<AuditEventRecord>>
  countAuditEvents(options: AuditFilter): Promise<number>

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

  insertClientSecret(secret: ClientSecretRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<void>
  getClientSecret(id: string): Promise<ClientSecretRecord | null>
  listClientSecrets(appId: string): Promise<ClientSecretRecord[]>
  /** Sets revokedAt if unset; false when the secret was already revoked. */
  revokeClientSecret(id: string, at: number, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean>

  /**
   * Adds usage counts (from the in-memory aggregator) and advances each token's lastUsedAt; an entry
   * with scope '' only advances lastUsedAt. `needs` adds to the required-scope counts the same way.
   */
  recordUsage(usage: ScopeUsage[], needs?: ScopeUsage[]): Promise<void>
  /** The scopes tokens' requests required (the narrowest that would have sufficed), per token and scope. */
  listNeeds(tokenIds: readonly string[]): Promise<ScopeUsage[]>
  getUsage(tokenId: string): Promise<ScopeUsage[]>
  /** A token and every token derived from it, transitively, parents first: the family a revocation reaches (read only). */
  listTokenFamily(id: string): Promise<{ id: string; parentId: string | null }[]>
  /** Usage rows of several tokens at once (for reports over a page of tokens). */
  listUsage(tokenIds: readonly string[]): Promise<ScopeUsage[]>
  /** Tokens by id, in no particular order; unknown ids are left out (batch reads of a request's loaders). */
  getTokens(ids: readonly string[]): Promise<TokenRecord[]>
  /** Apps by id, in no particular order; unknown ids are left out (batch reads of a request's loaders). */
  getApps(ids: readonly string[]): Promise<AppRecord[]>
  /** The tokens derived directly from any of `parentIds` (their children, not further descendants), in no particular order. */
  listChildTokens(parentIds: readonly string[]): Promise<TokenRecord[]>
  /**
   * Narrows a token to `scopes` (a subset of its own) and every token derived from it to what it
   * held that its parent's new scopes still imply (through `close`), so children never out-scope
   * their parent. Throws EmptiedTokensError, writing nothing, when a child would keep no scope.
   * Returns the tokens changed with their new scopes.
   */
  narrowTokenScopes(id: string, scopes: string[], audit: AuditEventInput, close?: CloseScopes, guard?: WriteGuard): Promise<{ id: string; scopes: string[] }[]>
  /** Revokes several tokens and all their descendants in one transaction; returns the ids revoked now. */
  revokeTokensCascade(ids: readonly string[], at: number, reason: string | null, audit: AuditEventInput, guard?: WriteGuard): Promise<string[]>
}

/** The meta key recording that a token was rotated (its value: the successor's id). */
export const rotatedKey = (tokenId: string): string => `rotated:${tokenId}`
