// The domain's model: the entities and values every layer speaks of (a token, an app, a scope, a
// signing key, a client secret, an audit event) and the shapes of lists over them. Plain data, no
// behaviour and no storage: store/ maps its rows to these types, the domain decides with them.
// Times are epoch ms.

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
  /** Constraints its tokens get when the issuer sets none (`defaults`) and may never exceed (`maximum`); null: neither. */
  tokenConstraints: AppTokenConstraints | null
  /** RFC 8707 resource URIs this app's JWTs may name as `aud` (besides Scopeward's own, the default). */
  audiences: string[]
}

/** The fields of an app a change may set: each is written on its own, never the whole row back. */
export type AppChanges = Partial<Pick<AppRecord, 'name' | 'description' | 'allowedScopes' | 'maxTokenLifetimeMs' | 'disabledAt' | 'tokenConstraints' | 'audiences'>>

/** A rate limit: at most `limit` requests in each fixed window of `windowMs`. */
export interface RateLimitRule {
  limit: number
  windowMs: number
}

/** A credit refill: every `intervalMs` since the last refill, the balance is topped up to `amount` (never lowered). */
export interface CreditRefill {
  amount: number
  intervalMs: number
}

/**
 * A token's constraints as stored (the `constraints` column, JSON): the CIDR ranges a request's
 * client address must lie in, its rate limit, and whether it spends credits (`credits`: its
 * refill, null without one). Absent members constrain nothing. The credit balance itself lives in
 * the token's `creditsRemaining` column, spent atomically (src/domain/ports.ts `spendCredit`).
 */
export interface TokenConstraints {
  allowedCidrs?: string[]
  rateLimit?: RateLimitRule
  credits?: { refill: CreditRefill | null }
  /**
   * The key its rate-limit window is counted under, when not its own id: a rotation's successor
   * counts in its predecessor's window (src/domain/rotate-token.ts), so the two secrets share one limit.
   */
  rateLimitKey?: string
  /**
   * Set on a rotated token for its grace period: its own balance is 0 and it spends from this
   * token's, its successor's (src/auth/policies/credits.ts), so the two secrets share one balance.
   */
  creditsFrom?: string
  /**
   * Set on a rotated token: its successor, whose current allowlist and rate limit bind the old
   * secret too for its grace period (src/domain/authenticate.ts), so narrowing the successor narrows both.
   */
  successor?: string
}

/**
 * The state of a token's limits after an authentication (on the authentication result, `Principal.limits`):
 * its rate limit as the RateLimit headers give it (`reset`: seconds until the window resets) and its
 * credits left. Only the members the token is constrained by are present; introspection reports them without spending.
 */
export interface TokenLimits {
  rateLimit?: { limit: number; remaining: number; reset: number }
  credits?: { remaining: number }
}

/** An app's rules for the constraints of its tokens (docs/design.md-style narrowing: `maximum` is the widest any token may be). */
export interface AppTokenConstraints {
  /** Applied to a new token for each member its issuer leaves unset (credits: the starting balance). */
  defaults: ConstraintSet | null
  /** Every token of the app must be at least this narrow: a member set here is required of each token. */
  maximum: ConstraintSet | null
}

/** A full set of constraints as an issuer states them: a token's stored constraints plus its starting balance. */
export interface ConstraintSet {
  allowedCidrs?: string[]
  rateLimit?: RateLimitRule
  credits?: { remaining: number; refill: CreditRefill | null }
}

/** Another token as a `{ id name }` selection reads it, with the fields its visibility rule (`canSeeToken`) needs. */
export type TokenName = Pick<TokenRecord, 'id' | 'appId' | 'subject' | 'name'>

export interface TokenRecord {
  id: string
  appId: string
  subject: string | null
  name: string
  /** What the token is for, as its issuer wrote it; null or absent: none given. */
  description?: string | null
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
  /** Its allowlist, rate limit and credit refill; null: unconstrained (the common case costs nothing at use). */
  constraints: TokenConstraints | null
  /** Credits left as of the last spend or refill; null: the token spends no credits. */
  creditsRemaining: number | null
  /** When the balance was last refilled (or set); the next refill is due one interval after it. */
  creditsRefilledAt: number | null
  /** For a JWT bound to other resources (RFC 8707): its `aud`, one of its app's audiences or more; null: Scopeward's own. */
  audiences: string[] | null
}

/**
 * The end a rotation gives the old token: a grace expiry, or revoked at once. Either way a token
 * that spends credits hands its balance to the successor: its constraints (`creditsFrom`), and a
 * zero balance that never refills (a request already past authentication spends the successor's).
 */
export type RotatedEnd = ({ expiresAt: number | null } | { revokedAt: number; revokeReason: string }) &
  Partial<Pick<TokenRecord, 'constraints' | 'creditsRemaining' | 'creditsRefilledAt'>>

/** Closes a scope list under `implies`; without one, a scope implies only itself. */
export type CloseScopes = (scopes: readonly string[]) => ReadonlySet<string>

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

/** A stored private key that is plain JWK JSON (a sealed one is a compact JWE; a wiped one is empty). */
export const isPlaintextKey = (privateKey: string): boolean => privateKey.startsWith('{')

/** `meta` key set once any signing key of the database is sealed under a master key. */
export const KEYS_SEALED_META = 'signing_keys_sealed'

/** The meta key recording that a token was rotated (its value: the successor's id). */
export const rotatedKey = (tokenId: string): string => `rotated:${tokenId}`

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

/** An audit event as committed: its place in the chain (`seq`) and its link (`hash`). */
export interface AuditEventRecord extends AuditEventInput {
  seq: number
  hash: string
}

/** A keyset position in a list ordered by (createdAt, id): stable while rows are inserted. */
export interface Position {
  createdAt: number
  id: string
}

/** The columns a token list may be sorted by. */
export type TokenSort = 'CREATED' | 'LAST_USED' | 'EXPIRES'

/** A keyset position in a token list under a TokenOrder: the last row's sort key (tokenSortKey) and id. */
export interface SortPosition {
  key: number
  id: string
}

/** A token list's order other than the default (created, oldest first), with its keyset position. */
export interface TokenOrder {
  sort: TokenSort
  descending: boolean
  after?: SortPosition | undefined
}

/** Never used sorts before any use; never expiring after any expiry. */
export const NEVER_USED = -1
export const NEVER_EXPIRES = Number.MAX_SAFE_INTEGER

/** A token's value under a sort, with null mapped as the store maps it (tokenOrderSql), so keyset pages stay exact. */
export function tokenSortKey(token: Pick<TokenRecord, 'createdAt' | 'lastUsedAt' | 'expiresAt'>, sort: TokenSort): number {
  if (sort === 'LAST_USED') return token.lastUsedAt ?? NEVER_USED
  if (sort === 'EXPIRES') return token.expiresAt ?? NEVER_EXPIRES
  return token.createdAt
}

export interface TokenFilter {
  appId?: string | undefined
  subject?: string | undefined
  status?: TokenStatus | undefined
  /** Only opaque tokens, or only JWTs. */
  kind?: TokenKind | undefined
  /** Only tokens holding this scope (as granted, not through implies). */
  scope?: string | undefined
  createdBefore?: number | undefined
  /** Only tokens issued or derived by this token. */
  createdBy?: string | undefined
  /** Only tokens with an expiry at or before this instant. */
  expiresBefore?: number | undefined
  /** Only tokens with an expiry after this instant (the expiry sweeper's window). */
  expiresAfter?: number | undefined
  /** Only tokens that never expire. */
  neverExpires?: boolean | undefined
  /** Only tokens whose name contains this text (case-insensitive, ASCII) or whose id is exactly it. */
  search?: string | undefined
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

/** How many requests of a token exercised a scope on one UTC day (`day`: YYYY-MM-DD). */
export interface DailyUsage {
  tokenId: string
  day: string
  scope: string
  count: number
}

/** The UTC day (YYYY-MM-DD) of an instant: the bucket of daily usage. */
export const utcDay = (at: number): string => new Date(at).toISOString().slice(0, 10)

/** The most days usageByDay reports; older daily counts are deleted (domain/usage-tracker.ts). */
export const MAX_USAGE_DAYS = 90

export interface ScopeUsage {
  tokenId: string
  scope: string
  count: number
  lastUsedAt: number
}

/** A scope a token has exercised, without its counts. */
export type UsedScope = Pick<ScopeUsage, 'tokenId' | 'scope'>

/**
 * A change that caches must hear of: a token (revoked, narrowed, rotated, re-parented), an app,
 * the signing keys, the scope catalogue, or 'all' (a gap in notifications: drop every cache).
 */
export type StoreChange = { kind: 'token'; ids: readonly string[] } | { kind: 'app'; id: string } | { kind: 'keys' } | { kind: 'scopes' } | { kind: 'all' }

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

/** The events a webhook may subscribe to (docs/webhooks.md). */
export const WEBHOOK_EVENT_TYPES = [
  'token.issued',
  'token.rotated',
  'token.revoked',
  'token.expiring',
  'token.expired',
  'token.trimmed',
  'app.disabled',
  'app.enabled',
  'key.rotated',
] as const
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]

/** A time-caused token event, recorded once under its key (the expiry sweeper, src/webhooks/expiry-sweeper.ts). */
export interface ExpiryAnnouncement {
  key: string
  type: 'token.expiring' | 'token.expired'
  tokenId: string
  /** The webhook payload's particulars (`expiresIn`, `threshold`). */
  data: Record<string, unknown>
}

export type WebhookStatus = 'ACTIVE' | 'DISABLED'

export interface WebhookRecord {
  id: string
  /** The app whose events it receives; the root app's webhooks receive every app's events. */
  appId: string
  url: string
  events: WebhookEventType[]
  /** The signing secret `whsec_...`: a compact JWE under the master key, or the plain secret without one. */
  secret: string
  status: WebhookStatus
  createdAt: number
  updatedAt: number
  /** Since when every attempt has failed (null: the last attempt succeeded, or none was made). */
  failingSince: number | null
  disabledAt: number | null
  disabledReason: string | null
  createdBy: string | null
}

/** The fields of a webhook a change may set. */
export type WebhookChanges = Partial<Pick<WebhookRecord, 'url' | 'events' | 'secret' | 'status' | 'failingSince' | 'disabledAt' | 'disabledReason' | 'updatedAt'>>

/**
 * A webhook event as the write that caused it records it, in the write's own transaction (the
 * webhook outbox): its type, what it is about (a token id, an app id, a key id) and extra data.
 * The fan-out turns it into one delivery per webhook that wants it.
 */
export interface WebhookEventInput {
  id: string
  type: WebhookEventType
  at: number
  /** The token, app or key the event is about: deliveries of one subject keep their order. */
  subject: string
  data: Record<string, unknown>
}

export type WebhookDeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED'

export interface WebhookDeliveryRecord {
  id: string
  webhookId: string
  eventId: string
  eventType: WebhookEventType
  /** The JSON body sent, byte for byte the same on every attempt (the signature covers it). */
  payload: string
  status: WebhookDeliveryStatus
  attempts: number
  nextAttemptAt: number
  createdAt: number
  lastAttemptAt: number | null
  lastStatusCode: number | null
  lastError: string | null
  /** At most the first 1 KB of the last response body. */
  lastResponseBody: string | null
  deliveredAt: number | null
}

/** A delivery claimed by one instance until `leaseUntil`, with what it needs to send it. */
export interface ClaimedDelivery {
  delivery: WebhookDeliveryRecord
  webhook: WebhookRecord
  /** The claim's fencing token: the outcome is recorded only while it still holds. */
  lease: string
}

/** What one attempt gave. */
export interface DeliveryOutcome {
  at: number
  ok: boolean
  statusCode: number | null
  error: string | null
  responseBody: string | null
  /** When to try again after a failure; null: give up (FAILED). */
  retryAt: number | null
}
