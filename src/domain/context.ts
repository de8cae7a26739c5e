import { randomUUID } from 'node:crypto'
import type { Clock } from '../clock.js'
import { ScopewardError } from '../errors.js'
import type { AppRecord, AuditEventInput, TokenRecord } from './model.js'
import type { Store } from './ports.js'
import type { ScopeCatalogue } from './scope-catalogue.js'
import type { SigningKeys } from './signing-keys.js'

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
}

/** What a JWT issuer needs: provided by the tokens/ module once signing keys exist. */
export interface JwtIssuer {
  /** The kid of the key that signs now: recorded on the token row before it is signed. */
  signingKid(): string
  /** Signs with the key `token.kid` names (refused if that key may no longer sign). */
  sign(token: TokenRecord, options: { audience?: string | undefined; act?: Record<string, unknown> | undefined }): Promise<string>
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

/** Everything a domain function needs: dependencies plus who is asking and about which request. */
export interface Domain {
  store: Store
  catalogue: ScopeCatalogue
  clock: Clock
  policies: Policies
  /** The usage aggregator, flushed before reports that read usage. */
  usage?:
    | {
        flush(): Promise<void>
        touch?(tokenId: string): void
        record?(tokenId: string, used: readonly string[], required?: readonly string[]): void
        /** Usage windows lost to instances that stopped without flushing (kill -9). */
        gaps?(): Promise<{ from: number; to: number }[]>
      }
    | undefined
  /** Refused authentications by reason since start (counters, not rows). */
  authFailures?: ReadonlyMap<string, number> | undefined
  jwt?: JwtIssuer | undefined
  /** The signing-key ring, when JWTs are enabled. */
  keys?: SigningKeys | undefined
}

export interface RequestInfo {
  requestId: string | null
  ip: string | null
}

/** Tokens of the root app act across apps; others stay inside their app, and inside their subject when they have one. */
export function canSeeToken(principal: Principal, token: TokenRecord): boolean {
  // A subject confines its token to that subject's tokens of its own app, in the root app too (DESIGN: subject boundary).
  if (principal.token.subject !== null) return token.appId === principal.app.id && token.subject === principal.token.subject
  return principal.app.isRoot || token.appId === principal.app.id
}

export function canSeeApp(principal: Principal, app: AppRecord): boolean {
  return principal.app.isRoot || app.id === principal.app.id
}

/**
 * Whether `principal` may change `app` itself (its settings, client secrets): a token acting for a
 * subject acts only on that subject's tokens, never on the app all its subjects share.
 */
export function canAdministerApp(principal: Principal, app: AppRecord): boolean {
  return principal.token.subject === null && canSeeApp(principal, app)
}

/** Refuses (FORBIDDEN) an instance-level change (apps, scopes, keys) to a token acting for a subject. */
export function assertNoSubject(principal: Principal | null, what: string): void {
  if (principal?.token.subject != null) throw new ScopewardError('FORBIDDEN', `a token acting for a subject cannot ${what}`)
}

/** An audit event for a change made by `principal` (null: the command line) in `request`. */
export function auditEvent(
  domain: Domain,
  principal: Principal | null,
  request: RequestInfo,
  event: { action: string; target: string | null; appId: string | null; details?: Record<string, unknown> },
): AuditEventInput {
  return {
    id: randomUUID(),
    at: domain.clock(),
    actor: principal?.token.id ?? null,
    appId: event.appId,
    action: event.action,
    target: event.target,
    requestId: request.requestId,
    ip: request.ip,
    details: event.details ?? {},
  }
}

export const CLI_REQUEST: RequestInfo = { requestId: null, ip: null }
