// Rows of the SQLite store read through raw prepared statements (the hot path: getToken on every
// request). Raw (array) mode costs ~3 µs a row less than row objects (better-sqlite3 builds no keyed
// object), so a row is a tuple, and a token's mostly-null columns arrive packed as one value
// (TOKEN_SPARSE). It stays checked by types: the field lists name
// Drizzle properties (all of them, or it does not compile), the SELECT list and the tuple type both
// come from them, and each field is read at the position the same list gives it, never a literal index.

import { getTableColumns, type Table } from 'drizzle-orm'
import type { AppRecord, AppTokenConstraints, TokenConstraints, TokenRecord } from '../../domain/model.js'
import * as t from '../sqlite-schema.js'

/** A row as better-sqlite3 returns it: booleans as 0/1, JSON columns as their text. */
export type Stored<Row> = {
  [K in keyof Row]: Row[K] extends boolean
    ? number
    : Row[K] extends readonly unknown[]
      ? string
      : Row[K] extends readonly unknown[] | null
        ? string | null
        : Row[K] extends object
          ? string
          : Row[K] extends object | null
            ? string | null
            : Row[K]
}

type TokenRow = Stored<typeof t.tokens.$inferSelect>
type AppRow = Stored<typeof t.apps.$inferSelect>

/** `fields` when it names every property of `Row`; else a type naming the missing ones. */
type Every<Row, F extends readonly (keyof Row)[]> = [Exclude<keyof Row, F[number]>] extends [never] ? F : { missing: Exclude<keyof Row, F[number]> }

/** A raw row: the value of each field of `F`, in its order. */
export type Tuple<Row, F extends readonly (keyof Row)[]> = { readonly [I in keyof F]: Row[F[I] & keyof Row] }

type IndexOf<F extends readonly unknown[], K, Seen extends unknown[] = []> = F extends readonly [infer Head, ...infer Rest]
  ? Head extends K
    ? Seen['length']
    : IndexOf<Rest, K, [...Seen, Head]>
  : never

/** Each field's position in `F`, as a literal type: `row[at.kid]` has the type of `kid`. */
type Positions<F extends readonly string[]> = { readonly [K in F[number]]: IndexOf<F, K> }

function positions<const F extends readonly string[]>(fields: F): Positions<F> {
  // Built from the list itself, so each position is right by construction; the type only spells it out.
  return Object.fromEntries(fields.map((field, i) => [field, i])) as Positions<F>
}

/** `column AS property` for each field, in order, from the Drizzle table. */
function columnsOf<Row>(table: Table, fields: readonly (keyof Row & string)[]): string {
  const columns: Record<string, { name: string }> = getTableColumns(table)
  return fields.map((field) => columns[field]?.name ?? field).join(', ')
}

/** The columns of a token most rows fill (every token has them, or most do): one value each. */
const TOKEN_DENSE = ['id', 'appId', 'name', 'kind', 'scopes', 'secretHash', 'createdAt', 'expiresAt', 'lastUsedAt', 'createdBy'] as const
/**
 * The columns most rows leave null (features a token may not use: a subject, a description, a
 * revocation, a parent, a key id, a binding, constraints, credits, audiences). They are read as one
 * value, null when all are null, else their JSON array (numbers and text survive JSON exactly): a row
 * crosses into JavaScript as 11 values, not 21, which is most of what reading a page of rows costs.
 */
const TOKEN_SPARSE = [
  'subject',
  'description',
  'revokedAt',
  'revokeReason',
  'parentId',
  'kid',
  'boundTo',
  'constraints',
  'creditsRemaining',
  'creditsRefilledAt',
  'audiences',
] as const
const tokenFields: Every<TokenRow, [...typeof TOKEN_DENSE, ...typeof TOKEN_SPARSE]> = [...TOKEN_DENSE, ...TOKEN_SPARSE]
type SparseValues = Tuple<TokenRow, typeof TOKEN_SPARSE>
/** A raw token row: the dense fields, then the sparse ones packed (`SparseValues` as JSON text, or null). */
export type TokenTuple = readonly [...Tuple<TokenRow, typeof TOKEN_DENSE>, string | null]
const sparseColumns = columnsOf<TokenRow>(t.tokens, TOKEN_SPARSE)
/** The SELECT list tokenFromRow reads. */
export const TOKEN_COLUMNS = `${columnsOf<TokenRow>(t.tokens, TOKEN_DENSE)}, CASE WHEN coalesce(${sparseColumns}) IS NULL THEN NULL ELSE json_array(${sparseColumns}) END`
const token = positions(TOKEN_DENSE)
const sparse = positions(TOKEN_SPARSE)
/** The packed sparse value's position: right after the dense fields. */
const SPARSE_AT = tokenFields.length - TOKEN_SPARSE.length
const NO_SPARSE = TOKEN_SPARSE.map(() => null) as unknown as SparseValues

export function tokenFromRow(r: TokenTuple): TokenRecord {
  const packed = r[SPARSE_AT] as string | null
  const x = packed === null ? NO_SPARSE : (JSON.parse(packed) as SparseValues)
  return {
    id: r[token.id],
    appId: r[token.appId],
    subject: x[sparse.subject],
    name: r[token.name],
    description: x[sparse.description],
    kind: r[token.kind],
    scopes: JSON.parse(r[token.scopes]) as string[],
    secretHash: r[token.secretHash],
    createdAt: r[token.createdAt],
    expiresAt: r[token.expiresAt],
    revokedAt: x[sparse.revokedAt],
    revokeReason: x[sparse.revokeReason],
    lastUsedAt: r[token.lastUsedAt],
    createdBy: r[token.createdBy],
    parentId: x[sparse.parentId],
    kid: x[sparse.kid],
    boundTo: x[sparse.boundTo],
    constraints: jsonOrNull<TokenConstraints>(x[sparse.constraints]),
    creditsRemaining: x[sparse.creditsRemaining],
    creditsRefilledAt: x[sparse.creditsRefilledAt],
    audiences: jsonListOrNull(x[sparse.audiences]),
  }
}

const APP_FIELDS = ['id', 'name', 'description', 'allowedScopes', 'maxTokenLifetimeMs', 'isRoot', 'createdAt', 'disabledAt', 'tokenConstraints', 'audiences'] as const
const appFields: Every<AppRow, typeof APP_FIELDS> = APP_FIELDS
export type AppTuple = Tuple<AppRow, typeof APP_FIELDS>
/** The SELECT list appFromRow reads. */
export const APP_COLUMNS = columnsOf<AppRow>(t.apps, appFields)
const app = positions(APP_FIELDS)

export function appFromRow(r: AppTuple): AppRecord {
  return {
    id: r[app.id],
    name: r[app.name],
    description: r[app.description],
    allowedScopes: JSON.parse(r[app.allowedScopes]) as string[],
    maxTokenLifetimeMs: r[app.maxTokenLifetimeMs],
    isRoot: r[app.isRoot] === 1,
    createdAt: r[app.createdAt],
    disabledAt: r[app.disabledAt],
    tokenConstraints: jsonOrNull<AppTokenConstraints>(r[app.tokenConstraints]),
    audiences: JSON.parse(r[app.audiences]) as string[],
  }
}

/** A nullable JSON column as better-sqlite3 returns it (its text), parsed. */
function jsonOrNull<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T)
}

function jsonListOrNull(text: string | null): string[] | null {
  return text === null ? null : (JSON.parse(text) as string[])
}
