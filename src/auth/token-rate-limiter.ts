import { LRUCache } from 'lru-cache'
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'
import type { RateLimitRule } from '../domain/model.js'
import type { RateLimitState } from '../errors.js'

/**
 * Per-token rate limits (a token's `rateLimit` constraint): fixed windows of `windowMs`, at most
 * `limit` requests in each, counted per token id. One interface over two backends: in memory (per
 * instance: N instances allow N times the limit) and Redis (shared by every instance,
 * src/auth/redis-token-rate-limiter.ts, loaded only when SCOPEWARD_REDIS_URL is set). Both are
 * rate-limiter-flexible limiters, one per distinct rule, so they count alike.
 */
export interface TokenRateLimiter {
  /** Which backend answers ('memory' or 'redis'), for logs and /readyz-style reports. */
  readonly backend: 'memory' | 'redis'
  /** Spends one request of `key` under `rule`: allowed or not, the RateLimit state after it, and the seconds until the window resets. */
  consume(key: string, rule: RateLimitRule): Promise<RateDecision>
  /** The state of `key` under `rule` without spending anything (introspection reports it). */
  peek(key: string, rule: RateLimitRule): Promise<RateLimitState | null>
  close(): Promise<void>
}

/** A rate-limit decision: `state` null when the backend could not be asked (then `allowed` is the fail mode's answer). */
export interface RateDecision {
  allowed: boolean
  state: RateLimitState | null
  retryAfterSeconds: number
}

/** Distinct rules kept at once (each one limiter); past it the least recently used is dropped, its counts with it. */
const MAX_RULES = 10_000

/** A rate-limiter-flexible limiter per rule, built on first use by `make`. */
export function limiterPerRule(make: (points: number, seconds: number, keyPrefix: string) => RateLimiterAbstract): (rule: RateLimitRule) => RateLimiterAbstract {
  const limiters = new LRUCache<string, RateLimiterAbstract>({ max: MAX_RULES })
  return (rule) => {
    const id = `${rule.limit}:${rule.windowMs / 1000}`
    let limiter = limiters.get(id)
    if (!limiter) {
      limiter = make(rule.limit, rule.windowMs / 1000, `rl:${id}`)
      limiters.set(id, limiter)
    }
    return limiter
  }
}

/** The state of a rate-limiter-flexible answer as RateLimit headers give it. */
export function stateOf(rule: RateLimitRule, res: RateLimiterRes): RateLimitState {
  return { limit: rule.limit, remaining: Math.max(0, res.remainingPoints), reset: Math.max(0, Math.ceil(res.msBeforeNext / 1000)) }
}

/** The in-memory backend (RateLimiterMemory): per instance, never unavailable. */
export function memoryTokenRateLimiter(): TokenRateLimiter {
  const limiterFor = limiterPerRule((points, duration, keyPrefix) => new RateLimiterMemory({ points, duration, keyPrefix }))
  return {
    backend: 'memory',
    async consume(key, rule) {
      try {
        const res = await limiterFor(rule).consume(key)
        return { allowed: true, state: stateOf(rule, res), retryAfterSeconds: 0 }
      } catch (refused) {
        // rate-limiter-flexible rejects with the RateLimiterRes when the window is spent.
        if (!(refused instanceof RateLimiterRes)) throw refused
        const state = stateOf(rule, refused)
        return { allowed: false, state, retryAfterSeconds: Math.max(1, state.reset) }
      }
    },
    async peek(key, rule) {
      const res = await limiterFor(rule).get(key)
      return res ? stateOf(rule, res) : { limit: rule.limit, remaining: rule.limit, reset: rule.windowMs / 1000 }
    },
    async close() {},
  }
}
