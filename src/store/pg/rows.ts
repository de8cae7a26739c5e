// Rows of the PostgreSQL store read through raw SQL (token lists: one named statement per filter
// shape). The SELECT list names each column by its Drizzle property, so a row comes back keyed as
// the table's `$inferSelect`; its type follows the schema with bigints as node-postgres sends them.

import type { TokenRecord } from '../../domain/model.js'
import type * as t from '../pg-schema.js'

/** A row as node-postgres returns raw SQL: bigint (epoch ms) columns as strings, jsonb parsed. */
export type Wire<Row> = { [K in keyof Row]: Row[K] extends number ? string : Row[K] extends number | null ? string | null : Row[K] }

export type TokenWire = Wire<typeof t.tokens.$inferSelect>

const msOrNull = (v: string | null): number | null => (v === null ? null : Number(v))

export function tokenFromWire(r: TokenWire): TokenRecord {
  return {
    id: r.id,
    appId: r.appId,
    subject: r.subject,
    name: r.name,
    description: r.description,
    kind: r.kind,
    scopes: r.scopes,
    secretHash: r.secretHash,
    createdAt: Number(r.createdAt),
    expiresAt: msOrNull(r.expiresAt),
    revokedAt: msOrNull(r.revokedAt),
    revokeReason: r.revokeReason,
    lastUsedAt: msOrNull(r.lastUsedAt),
    createdBy: r.createdBy,
    parentId: r.parentId,
    kid: r.kid,
    boundTo: r.boundTo,
    constraints: r.constraints,
    creditsRemaining: msOrNull(r.creditsRemaining),
    creditsRefilledAt: msOrNull(r.creditsRefilledAt),
    audiences: r.audiences,
  }
}
