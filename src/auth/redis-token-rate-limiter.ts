import { Redis } from 'ioredis'
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible'
import { limiterPerRule, stateOf, type RateDecision, type TokenRateLimiter } from './token-rate-limiter.js'

/** How a request is answered while Redis cannot be asked: let it through (`open`) or refuse it with 429 (`closed`). */
export type RateLimitFailMode = 'open' | 'closed'

export interface RedisLimiterOptions {
  url: string
  /** Prefixes every key (several deployments, or tests, on one Redis). */
  keyPrefix: string
  failMode: RateLimitFailMode
  /** Told (at most once a minute) when Redis cannot be asked. */
  warn: (err: unknown, message: string) => void
}

/** How long a request waits on Redis before the fail mode answers it. */
const COMMAND_TIMEOUT_MS = 500
/** Seconds a refusal under `closed` asks the client to wait. */
const CLOSED_RETRY_SECONDS = 5
/** How long a start waits for the first connection, so a fresh instance does not answer its first requests by the fail mode; a Redis that is down does not stop the start. */
const CONNECT_WAIT_MS = 2000

/**
 * The shared backend (RateLimiterRedis over ioredis; this module is imported only when
 * SCOPEWARD_REDIS_URL is set): every instance counts against the same windows, each spend one
 * atomic Lua call. While Redis is unreachable nothing queues: a command fails at once (no offline
 * queue, `rejectIfRedisNotReady`) or after COMMAND_TIMEOUT_MS, and the request is answered by the
 * fail mode, never with a 5xx; a warning is logged.
 */
export async function redisTokenRateLimiter(options: RedisLimiterOptions): Promise<TokenRateLimiter> {
  const client = new Redis(options.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: COMMAND_TIMEOUT_MS, lazyConnect: false })
  let warnedAt = -Infinity
  const warn = (err: unknown): void => {
    const now = Date.now()
    if (now - warnedAt < 60_000) return
    warnedAt = now
    options.warn(err, `redis rate limiter unavailable: failing ${options.failMode}`)
  }
  // Without a listener ioredis would report each failed reconnect as an unhandled 'error' event.
  client.on('error', warn)
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, CONNECT_WAIT_MS)
    client.once('ready', () => (clearTimeout(timer), resolve()))
  })
  const limiterFor = limiterPerRule(
    (points, duration, keyPrefix) => new RateLimiterRedis({ storeClient: client, points, duration, keyPrefix: `${options.keyPrefix}${keyPrefix}`, rejectIfRedisNotReady: true }),
  )
  const unavailable = (err: unknown, windowSeconds: number): RateDecision => {
    warn(err)
    return options.failMode === 'open'
      ? { allowed: true, state: null, retryAfterSeconds: 0 }
      : { allowed: false, state: null, retryAfterSeconds: Math.min(CLOSED_RETRY_SECONDS, windowSeconds) }
  }
  return {
    backend: 'redis',
    async consume(key, rule) {
      try {
        const res = await limiterFor(rule).consume(key)
        return { allowed: true, state: stateOf(rule, res), retryAfterSeconds: 0 }
      } catch (refused) {
        if (!(refused instanceof RateLimiterRes)) return unavailable(refused, rule.windowMs / 1000)
        const state = stateOf(rule, refused)
        return { allowed: false, state, retryAfterSeconds: Math.max(1, state.reset) }
      }
    },
    async peek(key, rule) {
      try {
        const res = await limiterFor(rule).get(key)
        return res ? stateOf(rule, res) : { limit: rule.limit, remaining: rule.limit, reset: rule.windowMs / 1000 }
      } catch (err) {
        warn(err)
        return null
      }
    },
    async close() {
      await client.quit().catch(() => client.disconnect())
    },
  }
}
