import type { AppRecord, TokenRecord } from '../domain/model.js'
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
}

/**
 * A check that needs the request, run last, only on a token whose secret (or signature) was
 * verified and which is usable: so no request policy can tell a stranger whether a token id
 * exists, and none spends anything (a rate-limit unit, a credit) on a token refused anyway.
 * Return a failure reason (add it to AuthFailure) or null; may be async (a shared rate-limit
 * backend, a credit balance in the store). A thrown ScopewardError is answered as itself
 * (RateLimited: 429 with Retry-After, src/error-responses.ts); any other throw is a 500, so a
 * policy decides fail-open or fail-closed inside and returns.
 *
 * The coming checks are one file each under src/auth/policies/, added to the list the
 * composition root hands `authenticate` (`requestPolicies`):
 *
 * - IP allowlist: `check({ token }, request, use)` refuses when `use` is `bearer` (or a
 *   subject/actor token) and `request.ip` is outside the token's (or its app's) CIDR list;
 *   `introspected` and `revoked` tokens are not guarded by their holder's network.
 * - rate limit: built with a RateLimiter (src/auth/rate-limiter.ts), spends one unit per request
 *   keyed by token id (or app id) for `bearer`; a refusal must carry Retry-After, so it throws
 *   RateLimited (src/errors.ts) rather than returning a reason that would answer 401.
 * - credits: spends one credit of the token's app in the store, atomically, for `bearer`; put it
 *   last, after every check that can still refuse, so a refused request costs nothing.
 */
export interface RequestPolicy {
  /** For logs and metrics. */
  readonly name: string
  check(subject: AuthSubject, request: AuthRequest, use: TokenUse): Awaitable<AuthFailure | null>
}
