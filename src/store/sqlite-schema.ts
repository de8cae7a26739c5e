import { sql } from 'drizzle-orm'
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import type { AppTokenConstraints, TokenConstraints } from '../domain/model.js'

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
    /** Default and maximum constraints of its tokens (src/domain/token-constraints.ts); null: none. */
    tokenConstraints: text('token_constraints', { mode: 'json' }).$type<AppTokenConstraints>(),
    /** RFC 8707 resource URIs its JWTs may name as `aud` (JSON array; empty: only Scopeward's own). */
    audiences: text('audiences', { mode: 'json' }).$type<string[]>().notNull().default([]),
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
    /** Allowlist, rate limit and credit refill (src/domain/model.ts TokenConstraints); null: unconstrained. */
    constraints: text('constraints', { mode: 'json' }).$type<TokenConstraints>(),
    /** The credit balance, spent by one atomic UPDATE per request; null: the token spends no credits. */
    creditsRemaining: integer('credits_remaining'),
    /** When the balance was last refilled or set: the lazy refill counts intervals from it. */
    creditsRefilledAt: integer('credits_refilled_at'),
    /** For a JWT bound to other resources (RFC 8707): its `aud` list; null: Scopeward's own audience. */
    audiences: text('audiences', { mode: 'json' }).$type<string[]>(),
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

/** Webhooks (docs/webhooks.md): where an app's token lifecycle events are sent, signed with `secret`. */
export const webhooks = sqliteTable(
  'webhooks',
  {
    id: text('id').primaryKey(),
    appId: text('app_id')
      .notNull()
      .references(() => apps.id),
    url: text('url').notNull(),
    events: text('events', { mode: 'json' }).$type<string[]>().notNull(),
    /** The signing secret: a compact JWE (dir + A256GCM) when SCOPEWARD_MASTER_KEY is set, else the secret itself. */
    secret: text('secret').notNull(),
    status: text('status', { enum: ['ACTIVE', 'DISABLED'] }).notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    failingSince: integer('failing_since'),
    disabledAt: integer('disabled_at'),
    disabledReason: text('disabled_reason'),
    createdBy: text('created_by'),
  },
  (t) => [index('webhooks_app_idx').on(t.appId)],
)

/** The webhook outbox: events written by the write that caused them, in its transaction; removed once fanned out to deliveries. */
export const webhookEvents = sqliteTable('webhook_events', {
  seq: integer('seq').primaryKey({ autoIncrement: true }),
  id: text('id').notNull().unique(),
  type: text('type').notNull(),
  at: integer('at').notNull(),
  subject: text('subject').notNull(),
  data: text('data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
})

/** One event for one webhook: claimed under a lease, attempted until delivered or out of retries. */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    id: text('id').notNull().unique(),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    appId: text('app_id').notNull(),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    /** The token, app or key the event is about: deliveries of one subject to one webhook keep their order. */
    subject: text('subject').notNull(),
    payload: text('payload').notNull(),
    status: text('status', { enum: ['PENDING', 'DELIVERED', 'FAILED'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    leaseUntil: integer('lease_until'),
    leaseId: text('lease_id'),
    createdAt: integer('created_at').notNull(),
    lastAttemptAt: integer('last_attempt_at'),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    lastResponseBody: text('last_response_body'),
    deliveredAt: integer('delivered_at'),
  },
  (t) => [index('webhook_deliveries_due_idx').on(t.status, t.nextAttemptAt), index('webhook_deliveries_order_idx').on(t.webhookId, t.subject, t.seq)],
)

/** What the expiry sweeper has announced (`expiring:<token>:<threshold>`, `expired:<token>`): each once. */
export const webhookAnnouncements = sqliteTable(
  'webhook_announcements',
  {
    key: text('key').primaryKey(),
    at: integer('at').notNull(),
  },
  // Retention reads the old keys in this order (store/webhook-retention-sql.ts): a run reads about as many keys as it deletes.
  (t) => [index('webhook_announcements_at_idx').on(t.at)],
)

/** Per token, day (UTC, YYYY-MM-DD) and exercised scope, how many requests used it: the token page's chart. */
export const tokenUsageDaily = sqliteTable(
  'token_usage_daily',
  {
    tokenId: text('token_id').notNull(),
    day: text('day').notNull(),
    scope: text('scope').notNull(),
    count: integer('count').notNull(),
  },
  // Days older than any usageByDay can read are deleted in this order (domain/usage-tracker.ts, pruneDailyUsage).
  (t) => [primaryKey({ columns: [t.tokenId, t.day, t.scope] }), index('token_usage_daily_day_idx').on(t.day)],
)
