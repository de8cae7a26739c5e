// The storage contract the domain talks to. Every method that changes data takes the audit
// event that records the change and commits both in one transaction. Times are epoch ms.

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
  /** Evaluates `status` against this instant. */
  now: number
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

export interface Store {
  readonly dialect: 'sqlite' | 'postgres'
  /** Applies pending migrations. */
  migrate(): Promise<void>
  /** True when migrations are applied and the database answers. */
  ready(): Promise<boolean>
  close(): Promise<void>

  getMeta(key: string): Promise<string | null>
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

  listAuditEvents(options: { appId?: string | undefined; after?: number | undefined; limit: number }): Promise<Page<AuditEventRecord>>
  countAuditEvents(options: { appId?: string | undefined }): Promise<number>

  /** Adds usage counts (from the in-memory aggregator) and advances each token's lastUsedAt. */
  recordUsage(usage: ScopeUsage[]): Promise<void>
  getUsage(tokenId: string): Promise<ScopeUsage[]>
}
