/**
 * A token bucket per key (a client address, a client id) in a bounded map: `capacity` requests at
 * once, refilled at `perMinute`. Past `maxKeys` keys the least recently touched are dropped, so
 * memory stays bounded whatever the number of addresses an attacker uses.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>()

  constructor(
    private readonly options: { capacity: number; perMinute: number; maxKeys: number },
    private readonly clock: () => number = Date.now,
  ) {}

  /** Seconds to wait before `key` may try again, or 0 if it may now (without spending). */
  retryAfter(key: string): number {
    const bucket = this.#refill(key)
    return bucket.tokens >= 1 ? 0 : Math.ceil(((1 - bucket.tokens) * 60) / this.options.perMinute)
  }

  /** Spends one token for `key`; returns false when it had none left. */
  take(key: string): boolean {
    const bucket = this.#refill(key)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  get size(): number {
    return this.#buckets.size
  }

  #refill(key: string): { tokens: number; at: number } {
    const now = this.clock()
    let bucket = this.#buckets.get(key)
    if (bucket) {
      // A clock that steps backwards refills nothing (and never drains).
      bucket.tokens = Math.min(this.options.capacity, bucket.tokens + (Math.max(0, now - bucket.at) * this.options.perMinute) / 60_000)
      bucket.at = now
      this.#buckets.delete(key) // re-insert: Map order is then least recently used first
    } else {
      bucket = { tokens: this.options.capacity, at: now }
      if (this.#buckets.size >= this.options.maxKeys) {
        const oldest = this.#buckets.keys().next().value
        if (oldest !== undefined) this.#buckets.delete(oldest)
      }
    }
    this.#buckets.set(key, bucket)
    return bucket
  }
}
