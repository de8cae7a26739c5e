import { sql } from 'drizzle-orm'
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

// Tables of the SQLite store: the one source of truth for its migrations (drizzle-kit generate).
// Times are epoch milliseconds; lists of scopes are JSON arrays of strings.

export const scopes = sqliteTable('scopes', {
  name: text('name').primaryKey(),
  description: text('description').notNull(),
  implies: text('implies', { mode: 'json' }).$type<string[]>().notNull(),
  builtIn: integer('built_in', { mode: 'boolean' }).notNull().default(false),
  createdAt: integer('created_at').notNull(),
})

export const apps = sqliteTable(
  'apps',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    description: text('description'),
    allowedScopes: text('allowed_scopes', { mode: 'json' }).$type<string[]>().notNull(),
    maxTokenLifetimeMs: integer('max_token_lifetime_ms'),
    isRoot: integer('is_root', { mode: 'boolean' }).notNull().default(false),
    createdAt: integer('created_at').notNull(),
    disabledAt: integer('disabled_at'),
  },
  // App names are unique: the console and the command line address an app by its name.
  (t) => [uniqueIndex('apps_name_unique').on(t.name)],
)

export const tokens = sqliteTable(
  'tokens',
  {
    id: text('id').primaryKey(),
    appId: text('app_id')
      .notNull()
      .references(() => apps.id),
    subject: text('subject'),
    name: text('name').notNull(),
    /** What the token is for, in the words of whoever issued it; null: none given. */
    description: text('description'),
    kind: text('kind', { enum: ['OPAQUE', 'JWT'] }).notNull(),
    scopes: text('scopes', { mode: 'json' }).$type<string[]>().notNull(),
    /** SHA-256 (hex) of the secret; null for JWTs, which carry no secret. */
    secretHash: text('secret_hash'),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at'),
    revokedAt: integer('revoked_at'),
    revokeReason: text('revoke_reason'),
    lastUsedAt: integer('last_used_at'),
    createdBy: text('created_by'),
    parentId: text('parent_id'),
    /** For a JWT: the kid of the signing key that signed it (a key retires when its own JWTs have expired). */
    kid: text('kid'),
    /**
     * A token issued by a derived or exchanged token is bound to its issuer: it lives no longer than
     * the issuer and is revoked with the issuer's family. Null: bound to nothing.
     */
    boundTo: text('bound_to'),
  },
  (t) => [
    index('tokens_created_idx').on(t.createdAt, t.id),
    index('tokens_app_created_idx').on(t.appId, t.createdAt, t.id),
    index('tokens_parent_idx').on(t.parentId),
    index('tokens_bound_idx').on(t.boundTo),
  ],
)

export const clientSecrets = sqliteTable('client_secrets', {
  id: text('id').primaryKey(),
  appId: text('app_id')
    .notNull()
    .references(() => apps.id),
  secretHash: text('secret_hash').notNull(),
  createdAt: integer('created_at').notNull(),
  revokedAt: integer('revoked_at'),
  /** The scopes a client_credentials grant may carry at most; null on secrets older than ceilings (treated as none). */
  scopes: text('scopes', { mode: 'json' }).$type<string[]>(),
  /** Who created it: the audit actor string. */
  createdBy: text('created_by'),
  lastUsedAt: integer('last_used_at'),
})

export const signingKeys = sqliteTable('signing_keys', {
  kid: text('kid').primaryKey(),
  alg: text('alg').notNull(),
  status: text('status', { enum: ['ACTIVE', 'RETIRING', 'RETIRED'] }).notNull(),
  publicJwk: text('public_jwk').notNull(),
  /** The private JWK: a compact JWE (dir + A256GCM) when SCOPEWARD_MASTER_KEY is set, else JSON. */
  privateKey: text('private_key').notNull(),
  createdAt: integer('created_at').notNull(),
  /** When RETIRING: the instant the last token it signed expires; after it the key is RETIRED. */
  retireAfter: integer('retire_after'),
  /** A published key signs only from this instant on (pre-publication in the JWKS); null: at once. */
  activatesAt: integer('activates_at'),
})

export const auditEvents = sqliteTable(
  'audit_events',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    id: text('id').notNull().unique(),
    at: integer('at').notNull(),
    actor: text('actor'),
    /** The app the event concerns: non-root apps read only their own events. */
    appId: text('app_id'),
    action: text('action').notNull(),
    target: text('target'),
    requestId: text('request_id'),
    ip: text('ip'),
    details: text('details', { mode: 'json' })
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'`),
    /** SHA-256 over the previous event's hash and this event: a changed or deleted row breaks the chain. */
    hash: text('hash').notNull(),
  },
  (t) => [index('audit_at_idx').on(t.at), index('audit_app_idx').on(t.appId, t.seq)],
)

export const tokenScopeUsage = sqliteTable(
  'token_scope_usage',
  {
    tokenId: text('token_id').notNull(),
    scope: text('scope').notNull(),
    count: integer('count').notNull(),
    lastUsedAt: integer('last_used_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tokenId, t.scope] })],
)

/** Per token, the scopes its requests required (the narrowest that would have sufficed): what a trimmed token needs. */
export const tokenScopeNeeds = sqliteTable(
  'token_scope_needs',
  {
    tokenId: text('token_id').notNull(),
    scope: text('scope').notNull(),
    count: integer('count').notNull(),
    lastUsedAt: integer('last_used_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tokenId, t.scope] })],
)

export const meta = sqliteTable('meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
})

/** Per token, day (UTC, YYYY-MM-DD) and exercised scope, how many requests used it: the token page's chart. */
export const tokenUsageDaily = sqliteTable(
  'token_usage_daily',
  {
    tokenId: text('token_id').notNull(),
    day: text('day').notNull(),
    scope: text('scope').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tokenId, t.day, t.scope] })],
)
