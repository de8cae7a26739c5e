/**
 * The baseline's schema and data access: the same shape as Scopeward's list query
 * ({ tokens(first) { edges { node { id name scopes createdAt expiresAt app { id name } } } } }),
 * or (`flatTypeDefs`, variant AF) the same tokens as a flat list ({ tokens(first) { id name … } }),
 * served from a copy of the same seeded SQLite file (Scopeward's schema, bench app, 10,000 tokens)
 * through drizzle prepared statements, with the same durability pragmas as Scopeward's store.
 */
import Database from 'better-sqlite3'
import { and, asc, eq, sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import * as t from '../../src/store/sqlite-schema.js'

const TOKEN_TYPES = /* GraphQL */ `
  type App {
    id: ID!
    name: String!
  }
  type Token {
    id: ID!
    name: String!
    scopes: [String!]!
    createdAt: String!
    expiresAt: String
    app: App!
  }
`
/** Tokens as a connection, as Scopeward serves them (variant A). */
export const typeDefs = /* GraphQL */ `
  ${TOKEN_TYPES}
  type TokenEdge {
    cursor: String!
    node: Token!
  }
  type TokenConnection {
    edges: [TokenEdge!]!
  }
  type Query {
    tokens(first: Int): TokenConnection!
  }
`
/** Tokens as a flat list, the plain idiomatic shape (variant AF). */
export const flatTypeDefs = /* GraphQL */ `
  ${TOKEN_TYPES}
  type Query {
    tokens(first: Int): [Token!]!
  }
`

type TokenRow = typeof t.tokens.$inferSelect
type AppRow = typeof t.apps.$inferSelect
export interface BaseContext {
  appId: string
  apps: Map<string, AppRow | undefined>
}

export function openData(file: string) {
  const sqlite = new Database(file)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = FULL')
  sqlite.pragma('foreign_keys = ON')
  const db = drizzle(sqlite, { schema: t })
  const tokensPage = db
    .select()
    .from(t.tokens)
    .where(and(eq(t.tokens.appId, sql.placeholder('appId'))))
    .orderBy(asc(t.tokens.createdAt), asc(t.tokens.id))
    .limit(sql.placeholder('limit'))
    .prepare()
  const appById = db
    .select()
    .from(t.apps)
    .where(eq(t.apps.id, sql.placeholder('id')))
    .prepare()
  const tokenById = db
    .select()
    .from(t.tokens)
    .where(eq(t.tokens.id, sql.placeholder('id')))
    .prepare()
  return { sqlite, tokensPage, appById, tokenById }
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

/** Resolvers for `typeDefs` (a connection) or, with `flat`, for `flatTypeDefs` (a list). */
export function makeResolvers(data: ReturnType<typeof openData>, shape: 'connection' | 'flat' = 'connection') {
  return {
    Query: {
      tokens: (_p: unknown, args: { first?: number | null }, ctx: BaseContext) => {
        const first = args.first ?? 20
        if (!Number.isInteger(first) || first < 1 || first > 100) throw new Error('first: must be an integer from 1 to 100')
        const rows = data.tokensPage.all({ appId: ctx.appId, limit: first + 1 }).slice(0, first)
        return shape === 'flat' ? rows : { edges: rows.map((node) => ({ node })) }
      },
    },
    ...(shape === 'connection' ? { TokenEdge: { cursor: (e: { node: TokenRow }) => Buffer.from(`${e.node.createdAt}:${e.node.id}`).toString('base64url') } } : {}),
    Token: {
      createdAt: (tk: TokenRow) => iso(tk.createdAt),
      expiresAt: (tk: TokenRow) => iso(tk.expiresAt),
      app: (tk: TokenRow, _a: unknown, ctx: BaseContext) => {
        if (!ctx.apps.has(tk.appId)) ctx.apps.set(tk.appId, data.appById.get({ id: tk.appId }))
        return ctx.apps.get(tk.appId)
      },
    },
  }
}
