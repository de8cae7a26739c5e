/**
 * A map that holds at most `max` keys and, past it, drops the least recently used one (a `get` or
 * `set` makes a key the most recent). It grows with what it holds: lru-cache allocates its slots
 * for `max` entries up front (about 28 bytes each, 2.8 MB for 100,000 keys, per cache), which a
 * bound meant only for a flood of keys (one per client address) would pay in every process.
 */
export class LruMap<K, V> {
  // A Map iterates in insertion order: re-inserting a key on use keeps the least recent first.
  readonly #entries = new Map<K, V>()

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, not ${max}`)
  }

  get(key: K): V | undefined {
    const value = this.#entries.get(key)
    if (value !== undefined) {
      this.#entries.delete(key)
      this.#entries.set(key, value)
    }
    return value
  }

  set(key: K, value: V): this {
    this.#entries.delete(key)
    this.#entries.set(key, value)
    if (this.#entries.size > this.max) this.#entries.delete(this.#entries.keys().next().value as K)
    return this
  }

  get size(): number {
    return this.#entries.size
  }
}
