import { LruMap } from '../lru-map.js'

/** A value now, or later: an in-memory backend answers at once, a shared one (Redis, PostgreSQL) after a round trip. */
export type Awaitable<T> = T | Promise<T>

/**
 * A throttle keyed by a string (a client address, a client id, a token id). Every caller awaits
 * its answers, so a shared backend can replace the in-memory one without touching a call site:
 * implement both methods against the shared store (one round trip each: `take` must spend and
 * answer atomically, e.g. a Lua script or an `UPDATE … RETURNING`) and pass it where
 * `MemoryRateLimiter` is built today. A shared backend that cannot be reached should answer as
 * configured (fail open or closed) rather than reject: a rejection is a 500 for the request.
 */
export interface RateLimiter {
  /** Seconds to wait before `key` may act again, or 0 if it may now. Spends nothing. */
  retryAfter(key: string): Awaitable<number>
  /** Spends one unit for `key`; false when it had none left (nothing spent then). */
  take(key: string): Awaitable<boolean>
}

export interface TokenBucketOptions {
  /** Requests allowed at once. */
  capacity: number
  /** Refill rate. */
  perMinute: number
  /** Keys kept; past it the least recently touched are dropped. */
  maxKeys: number
}

interface Bucket {
  tokens: number
  at: number
}

/**
 * The in-memory backend: a token bucket per key in an LRU map. `capacity` requests at once,
 * refilled at `perMinute`; past `maxKeys` keys the least recently touched are dropped, so memory
 * stays bounded whatever the number of addresses an attacker uses. Per process: N instances allow N times the rate.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #buckets: LruMap<string, Bucket>

  constructor(
    private readonly options: TokenBucketOptions,
    private readonly clock: () => number = Date.now,
  ) {
    // Grows with the keys it holds: the 100,000-key bound of a server's limiters costs nothing until used.
    this.#buckets = new LruMap<string, Bucket>(options.maxKeys)
  }

  retryAfter(key: string): number {
    const bucket = this.#refill(key)
    return bucket.tokens >= 1 ? 0 : Math.ceil(((1 - bucket.tokens) * 60) / this.options.perMinute)
  }

  take(key: string): boolean {
    const bucket = this.#refill(key)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  /** Keys held now (for tests of the bound). */
  get size(): number {
    return this.#buckets.size
  }

  #refill(key: string): Bucket {
    const now = this.clock()
    // get() marks the key most recently used: a key still in use is never the one dropped.
    let bucket = this.#buckets.get(key)
    if (bucket) {
      // A clock that steps backwards refills nothing (and never drains).
      bucket.tokens = Math.min(this.options.capacity, bucket.tokens + (Math.max(0, now - bucket.at) * this.options.perMinute) / 60_000)
      bucket.at = now
    } else {
      bucket = { tokens: this.options.capacity, at: now }
      this.#buckets.set(key, bucket)
    }
    return bucket
  }
}
