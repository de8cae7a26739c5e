import { randomUUID } from 'node:crypto'
import type { Clock } from '../clock.js'
import type { AppRecord, AuditEventInput, TokenLimits, TokenRecord } from './model.js'
import type { Store } from './ports.js'
import { actorLabel, type Call } from './actor.js'
import type { JwtVerifier } from './authenticate.js'
import type { RequestPolicy } from '../auth/policy.js'
import type { ScopeCatalogue } from './scope-catalogue.js'
import type { SigningKeys } from './signing-keys.js'
import type { WebhookSettings } from './webhooks.js'
import type { OpaqueFormat } from '../tokens/opaque-token.js'

/**
 * The authenticated caller: its token, its app, and its effective scopes — the token's scopes
 * within the app's current ceiling, closed under `implies` (narrowing an app narrows its tokens at once).
 */
export interface Principal {
  token: TokenRecord
  app: AppRecord
  /** Effective scopes, closed under implies. */
  scopes: ReadonlySet<string>
  /** The token's own scopes that lie within the ceiling, not closed: what usage is recorded against. */
  held: readonly string[]
  /** The state of the token's rate limit and credits after this authentication (src/auth/README.md); absent: it has neither. */
  limits?: TokenLimits
}

/** What a JWT issuer needs: provided by the tokens/ module once signing keys exist. */
export interface JwtIssuer {
  /** The kid of the key that signs now: recorded on the token row before it is signed. */
  signingKid(): string
  /** Signs with the key `token.kid` names (refused if that key may no longer sign). */
  /** `aud` is the row's `audiences`, or Scopeward's own when null. */
  sign(token: TokenRecord, options: { act?: Record<string, unknown> | undefined }): Promise<string>
}

/** The policies an operator sets for the whole instance. */
export interface Policies {
  defaultOpaqueLifetimeMs: number
  defaultJwtLifetimeMs: number
  /** Instance-wide ceiling on any token's lifetime; null = none beyond each app's own. */
  maxTokenLifetimeMs: number | null
  /** Ceiling on a JWT's lifetime (SCOPEWARD_MAX_JWT_LIFETIME), at issuance and at use: it bounds how long a signing key must stay published. */
  maxJwtLifetimeMs: number
}

export const DEFAULT_POLICIES: Policies = {
  defaultOpaqueLifetimeMs: 90 * 24 * 3600_000,
  defaultJwtLifetimeMs: 15 * 60_000,
  maxTokenLifetimeMs: null,
  maxJwtLifetimeMs: 3_600_000,
}

/**
 * Records which scopes each token exercises, in memory, written in batches (domain/usage-tracker.ts).
 * Where nothing is served (the command line) a recorder that records nothing stands in.
 */
export interface UsageRecorder {
  /** Writes what has accumulated: reports that read usage flush first. */
  flush(): Promise<void>
  /** Notes a use of the token (advances lastUsedAt only). */
  touch(tokenId: string): void
  /** Counts a use of each scope in `used`, and of each in `required` (what a narrower token would have needed). */
  record(tokenId: string, used: readonly string[], required?: readonly string[]): void
  /** Usage windows lost to instances that stopped without flushing (kill -9). */
  gaps(): Promise<{ from: number; to: number }[]>
}

/**
 * The dependencies of every domain function, built once by the composition root (src/compose.ts)
 * and never changed after: a feature that is off is an implementation that refuses or does nothing,
 * never a missing member.
 */
export interface Domain {
  readonly store: Store
  readonly catalogue: ScopeCatalogue
  readonly clock: Clock
  readonly policies: Policies
  /** The usage aggregator, flushed before reports that read usage. */
  readonly usage: UsageRecorder
  /** Refused authentications by reason since start (counters, not rows). */
  readonly authFailures: ReadonlyMap<string, number>
  /** Signs JWT access tokens; refuses (BAD_USER_INPUT on `kind`) where JWTs are off. */
  readonly jwt: JwtIssuer
  /** Verifies JWT access tokens; refuses every one where JWTs are off. */
  readonly jwtVerifier: JwtVerifier
  /** The signing-key ring; refuses (BAD_USER_INPUT) where it is not loaded. */
  readonly keys: SigningKeys
  /** Checks on every authentication after the token's own (src/auth/policy.ts): IP allowlists, rate limits, credits. */
  readonly requestPolicies: readonly RequestPolicy[]
  /** Webhook URL rules and the key their secrets are sealed under (domain/webhooks.ts). */
  readonly webhooks: WebhookSettings
  /** This instance's opaque token format (SCOPEWARD_TOKEN_PREFIX): what it issues and the only opaque tokens it accepts. */
  readonly tokenFormat: OpaqueFormat
}

export interface RequestInfo {
  requestId: string | null
  ip: string | null
}

/** Tokens of the root app act across apps; others stay inside their app, and inside their subject when they have one. */
export function canSeeToken(principal: Principal, token: Pick<TokenRecord, 'appId' | 'subject'>): boolean {
  // A subject confines its token to that subject's tokens of its own app, in the root app too (docs/design.md: the subject boundary).
  if (principal.token.subject !== null) return token.appId === principal.app.id && token.subject === principal.token.subject
  return principal.app.isRoot || token.appId === principal.app.id
}

export function canSeeApp(principal: Principal, app: Pick<AppRecord, 'id'>): boolean {
  return principal.app.isRoot || app.id === principal.app.id
}

/**
 * Whether `principal` may change `app` itself (its settings, client secrets): a token acting for a
 * subject acts only on that subject's tokens, never on the app all its subjects share.
 */
export function canAdministerApp(principal: Principal, app: AppRecord): boolean {
  return principal.token.subject === null && canSeeApp(principal, app)
}

/** An audit event for a change made by `call.actor` in `call.request`; the actor is named by `actorLabel` only. */
export function auditEvent(
  domain: Pick<Domain, 'clock'>,
  call: Call,
  event: { action: string; target: string | null; appId: string | null; details?: Record<string, unknown> },
): AuditEventInput {
  return {
    id: randomUUID(),
    at: domain.clock(),
    actor: actorLabel(call.actor),
    appId: event.appId,
    action: event.action,
    target: event.target,
    requestId: call.request.requestId,
    ip: call.request.ip,
    details: event.details ?? {},
  }
}
