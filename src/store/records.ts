// Drizzle rows to domain records, one typed function per entity, for both dialects: each reads a
// row as the table's `$inferSelect` (SQLite and PostgreSQL declare the same properties and types),
// so a column renamed or retyped in a schema fails to compile here, and a column the domain does not
// know never leaks into a record. Raw-SQL hot reads have their own mappers (sqlite/rows.ts, pg/rows.ts).

import type { AppRecord, AuditEventRecord, ClientSecretRecord, DailyUsage, ScopeRecord, ScopeUsage, SigningKeyRecord, TokenRecord } from '../domain/model.js'
import type * as pg from './pg-schema.js'
import type * as lite from './sqlite-schema.js'

type ScopeRow = typeof lite.scopes.$inferSelect | typeof pg.scopes.$inferSelect
type AppRow = typeof lite.apps.$inferSelect | typeof pg.apps.$inferSelect
type TokenRow = typeof lite.tokens.$inferSelect | typeof pg.tokens.$inferSelect
type SigningKeyRow = typeof lite.signingKeys.$inferSelect | typeof pg.signingKeys.$inferSelect
type ClientSecretRow = typeof lite.clientSecrets.$inferSelect | typeof pg.clientSecrets.$inferSelect
type AuditEventRow = typeof lite.auditEvents.$inferSelect | typeof pg.auditEvents.$inferSelect
type UsageRow =
  typeof lite.tokenScopeUsage.$inferSelect | typeof pg.tokenScopeUsage.$inferSelect | typeof lite.tokenScopeNeeds.$inferSelect | typeof pg.tokenScopeNeeds.$inferSelect

export const scopeRecord = (r: ScopeRow): ScopeRecord => ({ name: r.name, description: r.description, implies: r.implies, builtIn: r.builtIn, createdAt: r.createdAt })

export const appRecord = (r: AppRow): AppRecord => ({
  id: r.id,
  name: r.name,
  description: r.description,
  allowedScopes: r.allowedScopes,
  maxTokenLifetimeMs: r.maxTokenLifetimeMs,
  isRoot: r.isRoot,
  createdAt: r.createdAt,
  disabledAt: r.disabledAt,
  tokenConstraints: r.tokenConstraints,
  audiences: r.audiences,
})

export const tokenRecord = (r: TokenRow): TokenRecord => ({
  id: r.id,
  appId: r.appId,
  subject: r.subject,
  name: r.name,
  description: r.description,
  kind: r.kind,
  scopes: r.scopes,
  secretHash: r.secretHash,
  createdAt: r.createdAt,
  expiresAt: r.expiresAt,
  revokedAt: r.revokedAt,
  revokeReason: r.revokeReason,
  lastUsedAt: r.lastUsedAt,
  createdBy: r.createdBy,
  parentId: r.parentId,
  kid: r.kid,
  boundTo: r.boundTo,
  constraints: r.constraints,
  creditsRemaining: r.creditsRemaining,
  creditsRefilledAt: r.creditsRefilledAt,
  audiences: r.audiences,
})

export const signingKeyRecord = (r: SigningKeyRow): SigningKeyRecord => ({
  kid: r.kid,
  alg: r.alg,
  status: r.status,
  publicJwk: r.publicJwk,
  privateKey: r.privateKey,
  createdAt: r.createdAt,
  retireAfter: r.retireAfter,
  activatesAt: r.activatesAt,
})

export const clientSecretRecord = (r: ClientSecretRow): ClientSecretRecord => ({
  id: r.id,
  appId: r.appId,
  secretHash: r.secretHash,
  createdAt: r.createdAt,
  revokedAt: r.revokedAt,
  scopes: r.scopes,
  createdBy: r.createdBy,
  lastUsedAt: r.lastUsedAt,
})

export const auditEventRecord = (r: AuditEventRow): AuditEventRecord => ({
  seq: r.seq,
  id: r.id,
  at: r.at,
  actor: r.actor,
  appId: r.appId,
  action: r.action,
  target: r.target,
  requestId: r.requestId,
  ip: r.ip,
  details: r.details,
  hash: r.hash,
})

export const usageRecord = (r: UsageRow): ScopeUsage => ({ tokenId: r.tokenId, scope: r.scope, count: r.count, lastUsedAt: r.lastUsedAt })

type DailyUsageRow = typeof lite.tokenUsageDaily.$inferSelect | typeof pg.tokenUsageDaily.$inferSelect

export const dailyUsageRecord = (r: DailyUsageRow): DailyUsage => ({ tokenId: r.tokenId, day: r.day, scope: r.scope, count: r.count })
