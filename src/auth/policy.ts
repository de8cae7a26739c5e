import type { AppRecord, TokenLimits, TokenRecord } from '../domain/model.js'
import type { AuthFailure } from './failure.js'
import type { Awaitable } from './rate-limiter.js'
import type { AuthRequest, TokenUse } from './request.js'

/**
 * The shapes of the checks `authenticate` (src/domain/authenticate.ts) runs, in this order:
 *
 *   1. format  (policies/format.ts)   the text is a token at all; no I/O, so garbage costs nothing
 *   2. lookup  (policies/lookup.ts)   the row by id, the secret in constant time (or the JWT's
 *                                     signature, then its row)
 *   3. TokenPolicy: status, expiry    on the row alone, before the app is read
 *   4. AppPolicy: app disabled, lifetime policy
 *   5. the family: every ancestor the token lives by is alive (domain/token-status.ts)
 *   6. RequestPolicy, each in turn    see the authenticated token and the request
 *
 * Steps 3-4 are pure and synchronous: writes re-run them inside their transaction
 * (`unusableReason`), so they may read nothing but the rows they are given.
 */

/** Limits the operator sets for the whole instance that tokens meet at use (a subset of domain Policies). */
export interface InstanceLimits {
  maxTokenLifetimeMs: number | null
  maxJwtLifetimeMs: number
}

/** A check of the token row alone. Null: passes. */
export type TokenPolicy = (token: TokenRecord, now: number, limits: InstanceLimits) => AuthFailure | null

/** A check of the token with its app (null: the app row is gone). Null: passes. */
export type AppPolicy = (token: TokenRecord, app: AppRecord | null, now: number) => AuthFailure | null

/** The authenticated token and its app, as a request policy sees them. */
export interface AuthSubject {
  readonly token: TokenRecord
  readonly app: AppRecord
  /** Its parent, the parent's parent, and so on (nearest first), as the family check read them; absent or empty for a root token. */
  readonly ancestors?: readonly TokenRecord[]
  /** A rotated token in its grace: its current successor (the end of a chain of rotations), whose allowlist and rate limit bind it too. */
  readonly successor?: TokenRecord | null
}

/** A request policy's answer: a refusal, a pass, or a pass with the state of a limit (merged into `Principal.limits`). */
export type PolicyOutcome = AuthFailure | { readonly limits: TokenLimits } | null

/**
 * A check that needs the request, run last, only on a token whose secret (or signature) was
 * verified and which is usable: so no request policy can tell a stranger whether a token id
 * exists, and none spends anything (a rate-limit unit, a credit) on a token refused anyway.
 * Return a failure reason (add it to AuthFailure) or null; may be async (a shared rate-limit
 * backend, a credit balance in the store). A thrown ScopewardError is answered as itself
 * (RateLimited: 429 with Retry-After, src/error-responses.ts); any other throw is a 500, so a
 * policy decides fail-open or fail-closed inside and returns.
 *
 * The constraint checks (issue 15), in this order in the composition root's list:
 *
 * - policies/ip-allowlist.ts: refuses (`address_not_allowed`) a bearer, subject or actor token whose
 *   `allowedCidrs` (or its successor's, for a rotated token) do not hold `request.ip`; introspected
 *   and revoked tokens are not guarded by their holder's network.
 * - policies/rate-limit.ts: spends one request of the token's window and of each rate-limited
 *   ancestor's (and its successor's, for a rotated token) (token-rate-limiter.ts, memory or Redis);
 *   past any limit throws TokenLimitExceeded (429 RATE_LIMITED + Retry-After).
 * - policies/credits.ts: last, spends one credit atomically in the store; at zero throws
 *   TokenLimitExceeded (429 USAGE_EXCEEDED).
 *
 * Introspection (`introspected`) spends nothing: the rate limit and credits report their state only.
 */
export interface RequestPolicy {
  /** For logs and metrics. */
  readonly name: string
  check(subject: AuthSubject, request: AuthRequest, use: TokenUse): Awaitable<PolicyOutcome>
}
