import { TokenLimitExceeded } from '../../errors.js'
import type { RequestPolicy } from '../policy.js'
import type { TokenRateLimiter } from '../token-rate-limiter.js'

/**
 * A token with a `rateLimit` spends one request of its window per use as a bearer (or subject or
 * actor token); past the limit, 429 RATE_LIMITED with Retry-After and the RateLimit headers
 * (thrown: a reason would answer 401). Within it, the state is handed on (`limits.rateLimit`) for
 * the HTTP layer's headers. Introspection peeks, spending nothing. A token without one costs nothing.
 */
export function rateLimitPolicy(limiter: TokenRateLimiter): RequestPolicy {
  return {
    name: 'rate_limit',
    async check({ token }, _request, use) {
      const rule = token.constraints?.rateLimit
      if (!rule || use === 'revoked') return null
      // A rotation's successor counts in its predecessor's window: both secrets share one limit.
      const key = token.constraints?.rateLimitKey ?? token.id
      if (use === 'introspected') {
        const state = await limiter.peek(key, rule)
        return state ? { limits: { rateLimit: state } } : null
      }
      const decision = await limiter.consume(key, rule)
      if (!decision.allowed) throw new TokenLimitExceeded('RATE_LIMITED', decision.retryAfterSeconds, decision.state)
      return decision.state ? { limits: { rateLimit: decision.state } } : null
    },
  }
}
