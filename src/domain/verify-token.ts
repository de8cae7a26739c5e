import type { AuthFailure } from '../auth/failure.js'
import type { AuthRequest } from '../auth/request.js'
import { RateLimited, TokenLimitExceeded } from '../errors.js'
import { presentedTokenId } from '../tokens/presented-token-id.js'
import { authenticate } from './authenticate.js'
import { canSeeToken, type Domain, type Principal } from './context.js'
import type { AppRecord, TokenRecord } from './model.js'
import { recordResourceServerUse } from './usage-tracker.js'

/** Who asks about another token (introspection, verification): an app by its client secret, or a token holding tokens:introspect. */
export type Inspector = { kind: 'client'; app: AppRecord } | { kind: 'token'; principal: Principal }

/**
 * Whether `inspector` may learn about `token`: the same boundary as reading it. The root app sees
 * all, an app its own tokens, a token what it could query (its app, its subject).
 */
export function inspectorMaySee(inspector: Inspector, token: TokenRecord): boolean {
  if (inspector.kind === 'token') return canSeeToken(inspector.principal, token)
  return inspector.app.isRoot || inspector.app.id === token.appId
}

/**
 * The stable codes of a verification. `VALID`: usable and holding one alternative of
 * `requiredScopes`. Token refusals are told apart only where it leaks nothing: a wrong secret is
 * `TOKEN_UNKNOWN` like an unknown id, and a token outside the inspector's boundary is `TOKEN_UNKNOWN`
 * whatever its state. A request policy's own refusal (an address outside an allowlist, credits
 * spent) is its reason in upper case.
 */
export type VerifyCode =
  | 'VALID'
  | 'TOKEN_MALFORMED'
  | 'TOKEN_UNKNOWN'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_REVOKED'
  | 'APP_DISABLED'
  | 'WRONG_AUDIENCE'
  | 'INSUFFICIENT_SCOPE'
  | 'RATE_LIMITED'
  | 'USAGE_EXCEEDED'
  | Uppercase<string>

export interface VerifyResult {
  valid: boolean
  code: VerifyCode
  tokenId: string | null
  appId: string | null
  subject: string | null
  /** The token's effective scopes as held (within its app's current ceiling); [] when not valid. */
  scopes: readonly string[]
  /** The smallest set of scopes the token lacks for one alternative of requiredScopes; [] otherwise. */
  missingScopes: readonly string[]
  ratelimit: { limit: number; remaining: number; reset: number } | null
  credits: { remaining: number } | null
  /** Seconds until the token's rate limit allows a request again (code RATE_LIMITED). */
  retryAfter?: number
}

/** Refusals decided before the token's row is known (shape, checksum, secret, signature): nothing to hide behind a boundary. */
const BEFORE_ROW: ReadonlySet<AuthFailure> = new Set<AuthFailure>(['malformed', 'bad_checksum', 'unknown', 'wrong_secret', 'bad_signature', 'bad_claims'])

const NOT_VALID = { valid: false, tokenId: null, appId: null, subject: null, scopes: [], missingScopes: [], ratelimit: null, credits: null } as const

/**
 * Verifies a token for a resource server (POST /v1/verify): the whole authentication chain of
 * `authenticate` (format, secret or signature, status, expiry, app, lifetime, family, then every
 * request policy, with `request.ip` the address the token's holder called the resource server
 * from), as a bearer use of the token; then the app boundary of `inspector`; then
 * `requiredScopes`, alternatives (any of) of scope lists (all of). Never throws for a bad token:
 * the answer says why, with a stable code.
 */
export async function verifyToken(
  domain: Domain,
  inspector: Inspector,
  presented: string,
  options: {
    requiredScopes: readonly (readonly string[])[] | null
    request: AuthRequest
    /** The resource server's own audience: a JWT must name it (opaque tokens carry none). */
    audience?: string | null
    /** Scopeward's own audience, what a JWT without RFC 8707 audiences names. */
    ownAudience: string
  },
): Promise<VerifyResult> {
  let result
  try {
    result = await authenticate(domain, presented, options.request, 'bearer', { forResourceServer: true })
  } catch (error) {
    // A rate limit of the token (a request policy) throws to carry Retry-After: for a resource server it is an answer, not a failure of this call.
    if (error instanceof RateLimited) return { ...NOT_VALID, code: 'RATE_LIMITED', retryAfter: Math.max(1, error.retryAfterSeconds) }
    // The token's own rate limit or credits (src/auth/policies/): spent, so not valid now; the state says when it will be.
    if (error instanceof TokenLimitExceeded)
      return {
        ...NOT_VALID,
        code: error.code,
        ratelimit: error.rateLimit,
        ...(error.code === 'USAGE_EXCEEDED' ? { credits: { remaining: 0 } } : {}),
        ...(error.retryAfterSeconds !== null ? { retryAfter: Math.max(1, error.retryAfterSeconds) } : {}),
      }
    throw error
  }
  if (!result.ok) return { ...NOT_VALID, code: await refusalCode(domain, inspector, presented, result.reason) }
  const { principal } = result
  if (!inspectorMaySee(inspector, principal.token)) return { ...NOT_VALID, code: 'TOKEN_UNKNOWN' }
  // RFC 8707: a JWT is for the audiences it names; a resource server that says which it is accepts only those naming it.
  if (options.audience != null && principal.token.kind === 'JWT' && !(principal.token.audiences ?? [options.ownAudience]).includes(options.audience))
    return { ...NOT_VALID, code: 'WRONG_AUDIENCE' }
  recordResourceServerUse(domain, principal)
  const missing = missingScopes(principal.scopes, options.requiredScopes)
  const limits = principal.limits
  return {
    valid: missing.length === 0,
    code: missing.length === 0 ? 'VALID' : 'INSUFFICIENT_SCOPE',
    tokenId: principal.token.id,
    appId: principal.app.id,
    subject: principal.token.subject,
    scopes: principal.held,
    missingScopes: missing,
    ratelimit: limits?.rateLimit ? { limit: limits.rateLimit.limit, remaining: limits.rateLimit.remaining, reset: limits.rateLimit.reset } : null,
    credits: limits?.credits ? { remaining: limits.credits.remaining } : null,
  }
}

/** The smallest set of scopes `held` lacks for one of the alternatives (none: nothing is required, or one alternative is held). */
export function missingScopes(held: ReadonlySet<string>, required: readonly (readonly string[])[] | null): string[] {
  if (!required || required.length === 0) return []
  let best: string[] | null = null
  for (const alternative of required) {
    const lacking = [...new Set(alternative.filter((s) => !held.has(s)))].sort()
    if (lacking.length === 0) return []
    if (best === null || lacking.length < best.length) best = lacking
  }
  return best ?? []
}

/**
 * The code of a refused token. A refusal made after the row was found (expired, revoked, app
 * disabled, a request policy) proves the caller presented a real token: it is told only when the
 * inspector may see that token, else it reads TOKEN_UNKNOWN like any stranger's token.
 */
async function refusalCode(domain: Domain, inspector: Inspector, presented: string, reason: AuthFailure): Promise<VerifyCode> {
  if (reason === 'malformed' || reason === 'bad_checksum') return 'TOKEN_MALFORMED'
  if (BEFORE_ROW.has(reason)) return 'TOKEN_UNKNOWN'
  // The chain got past the secret (or the signature, which jose checks before exp), so the claimed id is the token's own.
  const id = presentedTokenId(presented, domain.tokenFormat)
  const token = id ? await domain.store.getToken(id) : null
  if (!token || !inspectorMaySee(inspector, token)) return 'TOKEN_UNKNOWN'
  switch (reason) {
    case 'expired':
      return 'TOKEN_EXPIRED'
    case 'revoked':
      return 'TOKEN_REVOKED'
    case 'app_disabled':
      return 'APP_DISABLED'
    case 'wrong_audience':
      return 'WRONG_AUDIENCE'
    default:
      return reason.toUpperCase() as Uppercase<string>
  }
}
