// Rows of the SQLite store read through raw prepared statements (the hot path: the query builder and
// its row objects cost more than the query, bench/micro-list.ts). The SELECT list is made from the
// Drizzle table, each column named by its property, so a row comes back keyed as the table's
// `$inferSelect` and its type follows the schema; one typed function per entity maps it.

import type { AppRecord, TokenRecord } from '../../domain/model.js'
import type * as t from '../sqlite-schema.js'

/** A row as better-sqlite3 returns it: booleans as 0/1, JSON columns as their text. */
export type Stored<Row> = {
  [K in keyof Row]: Row[K] extends boolean ? number : Row[K] extends readonly unknown[] ? string : Row[K] extends readonly unknown[] | null ? string | null : Row[K]
}

export type TokenRow = Stored<typeof t.tokens.$inferSelect>
export type AppRow = Stored<typeof t.apps.$inferSelect>

export function tokenFromRow(r: TokenRow): TokenRecord {
  return {
    id: r.id,
    appId: r.appId,
    subject: r.subject,
    name: r.name,
    kind: r.kind,
    scopes: JSON.parse(r.scopes) as string[],
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
  }
}

export function appFromRow(r: AppRow): AppRecord {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    allowedScopes: JSON.parse(r.allowedScopes) as string[],
    maxTokenLifetimeMs: r.maxTokenLifetimeMs,
    isRoot: r.isRoot === 1,
    createdAt: r.createdAt,
    disabledAt: r.disabledAt,
  }
}
