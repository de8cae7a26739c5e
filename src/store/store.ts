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
  /** Inserts a scope and adds it to the root app's allowed scopes. */
  insertScope(scope: ScopeRecord, audit: AuditEventInput): Promise<void>

  getApp(id: string): Promise<AppRecord | null>
  listApps(options: { appId?: string | undefined; after?: Position | undefined; limit: number }): Promise<Page<AppRecord>>
  countApps(options: { appId?: string | undefined }): Promise<number>
  insertApp(app: AppRecord, audit: AuditEventInput): Promise<void>
  updateApp(app: AppRecord, audit: AuditEventInput): Promise<void>

  getToken(id: string): Promise<TokenRecord | null>
  listTokens(filter: TokenFilter, options: { after?: Position | undefined; limit: number }): Promise<Page<TokenRecord>>
  countTokens(filter: TokenFilter): Promise<number>
  /**
   * Inserts a token. When `activeParentAt` is given, the insert happens only if the parent is
   * still unrevoked and unexpired at that instant, checked inside the transaction; returns false otherwise.
   */
  insertToken(token: TokenRecord, audit: AuditEventInput, activeParentAt?: number): Promise<boolean>
  /** Revokes a token and, transitively, every token derived from it; returns the ids revoked now. */
  revokeTokenCascade(id: string, at: number, reason: string | null, audit: AuditEventInput): Promise<string[]>
  /** Inserts the successor of a rotated token, moves the old token's children to it and sets the old token's end. */
  rotateToken(oldId: string, successor: TokenRecord, oldEnd: { expiresAt: number | null; revokedAt: number | null; revokeReason: string | null }, audit: AuditEventInput): Promise<void>

  listAuditEvents(options: AuditFilter & { after?: number | undefined; limit: number }): Promise<Page<AuditEventRecord>>
  countAuditEvents(options: AuditFilter): Promise<number>

  listSigningKeys(): Promise<SigningKeyRecord[]>
  /** Inserts a new ACTIVE key and, in the same transaction, turns every other ACTIVE key RETIRING until `retireAfter`. */
  insertSigningKey(key: SigningKeyRecord, retireAfter: number, audit: AuditEventInput): Promise<void>
  /** Marks RETIRING keys RETIRED. */
  retireSigningKeys(kids: string[], audit: AuditEventInput): Promise<void>
  /** The latest expiry of any JWT access token issued so far (null: none), bounding how long old keys must verify. */
  latestJwtExpiry(): Promise<number | null>

  insertClientSecret(secret: ClientSecretRecord, audit: AuditEventInput): Promise<void>
  getClientSecret(id: string): Promise<ClientSecretRecord | null>
  listClientSecrets(appId: string): Promise<ClientSecretRecord[]>
  /** Sets revokedAt if unset; false when the secret was already revoked. */
  revokeClientSecret(id: string, at: number, audit: AuditEventInput): Promise<boolean>

  /**
   * Adds usage counts (from the in-memory aggregator) and advances each token's lastUsedAt; an entry
   * with scope '' only advances lastUsedAt. `needs` adds to the required-scope counts the same way.
   */
  recordUsage(usage: ScopeUsage[], needs?: ScopeUsage[]): Promise<void>
  /** The scopes tokens' requests required (the narrowest that would have sufficed), per token and scope. */
  listNeeds(tokenIds: readonly string[]): Promise<ScopeUsage[]>
  getUsage(tokenId: string): Promise<ScopeUsage[]>
  /** Usage rows of several tokens at once (for reports over a page of tokens). */
  listUsage(tokenIds: readonly string[]): Promise<ScopeUsage[]>
  /**
   * Narrows a token to `scopes` (a subset of its own) and every token derived from it to what it
   * held that its parent's new scopes still imply (through `close`), so children never out-scope
   * their parent. Throws EmptiedTokensError, writing nothing, when a child would keep no scope.
   * Returns the tokens changed with their new scopes.
   */
  narrowTokenScopes(id: string, scopes: string[], audit: AuditEventInput, close?: CloseScopes): Promise<{ id: string; scopes: string[] }[]>
  /** Revokes several tokens and all their descendants in one transaction; returns the ids revoked now. */
  revokeTokensCascade(ids: readonly string[], at: number, reason: string | null, audit: AuditEventInput): Promise<string[]>
}
