import { TokenLimitExceeded, type RateLimitState } from '../../errors.js'
import type { RateLimitRule, TokenRecord } from '../../domain/model.js'
import type { AuthSubject, RequestPolicy } from '../policy.js'
import type { RateDecision, TokenRateLimiter } from '../token-rate-limiter.js'

/**
 * A token with a `rateLimit` spends one request of its window per use as a bearer (or subject or
 * actor token); past the limit, 429 RATE_LIMITED with Retry-After and the RateLimit headers
 * (thrown: a reason would answer 401). Within it, the state is handed on (`limits.rateLimit`) for
 * the HTTP layer's headers. Introspection peeks, spending nothing. A token without one costs nothing.
 *
 * Constraints only narrow, so a request also counts in the window of each ancestor that has a
 * rate limit (deriving never multiplies a rate) and, for a rotated token in its grace, in its
 * successor's window under the successor's rule as it is now; it is refused if any window is spent,
 * and the headers describe the tightest window.
 */
export function rateLimitPolicy(limiter: TokenRateLimiter): RequestPolicy {
  return {
    name: 'rate_limit',
    async check(subject, _request, use) {
      if (use === 'revoked') return null
      const windows = windowsOf(subject)
      if (windows.length === 0) return null
      if (use === 'introspected') {
        const states = await Promise.all(windows.map((w) => limiter.peek(w.key, w.rule)))
        const state = tightest(states)
        return state ? { limits: { rateLimit: state } } : null
      }
      // Every window counts the request, refused or not (as one window alone does): the order cannot matter.
      const decisions = await Promise.all(windows.map((w) => limiter.consume(w.key, w.rule)))
      const refused = decisions.filter((d) => !d.allowed)
      if (refused.length > 0) {
        // The client may retry once every spent window has reset.
        const last = refused.reduce((a, b) => (b.retryAfterSeconds > a.retryAfterSeconds ? b : a))
        throw new TokenLimitExceeded('RATE_LIMITED', last.retryAfterSeconds, last.state)
      }
      const state = tightest(decisions.map((d: RateDecision) => d.state))
      return state ? { limits: { rateLimit: state } } : null
    },
  }
}

interface Window {
  key: string
  rule: RateLimitRule
}

/** The windows a request counts in: the token's, its successor's and each ancestor's that has a rate limit, each once. */
function windowsOf({ token, successor, ancestors }: AuthSubject): Window[] {
  if (!successor && !ancestors?.length) {
    const own = windowOf(token)
    return own ? [own] : []
  }
  const windows = new Map<string, Window>()
  for (const row of [token, successor ?? null, ...(ancestors ?? [])]) {
    const window = windowOf(row)
    // A rotation's successor counts under its predecessor's key: the same rule and key is the same window.
    if (window) windows.set(`${window.rule.limit}:${window.rule.windowMs}:${window.key}`, window)
  }
  return [...windows.values()]
}

/** A token's own window: its rule, counted under `rateLimitKey` (a rotation's successor shares its predecessor's) or its id. */
function windowOf(token: TokenRecord | null): Window | null {
  const rule = token?.constraints?.rateLimit
  return token && rule ? { key: token.constraints?.rateLimitKey ?? token.id, rule } : null
}

/** The state with the fewest requests left (the later reset on a tie); null when no backend answered. */
function tightest(states: readonly (RateLimitState | null)[]): RateLimitState | null {
  let out: RateLimitState | null = null
  for (const s of states) {
    if (s && (!out || s.remaining < out.remaining || (s.remaining === out.remaining && s.reset > out.reset))) out = s
  }
  return out
}
