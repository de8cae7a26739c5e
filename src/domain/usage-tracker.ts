import type { Clock } from '../clock.js'
import type { ScopeUsage, Store } from '../store/store.js'

/** The pseudo-scope of a usage entry that only advances a token's lastUsedAt. */
export const LAST_USED_ONLY = ''

/**
 * Aggregates which scopes each token exercises, in memory, and writes the totals in batches:
 * no database write on a request's path. Memory is bounded: past `maxEntries` distinct
 * (token, scope) pairs a flush is started at once.
 */
export class UsageTracker {
  #pending = new Map<string, ScopeUsage>()
  #timer: NodeJS.Timeout | undefined
  #flushing: Promise<void> = Promise.resolve()

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly options: { flushIntervalMs: number; maxEntries: number; onError: (error: unknown) => void },
  ) {}

  #background(): void {
    this.flush().catch(this.options.onError)
  }

  start(): void {
    this.#timer ??= setInterval(() => this.#background(), this.options.flushIntervalMs)
    this.#timer.unref()
  }

  /** Counts one use of each scope by `tokenId`. */
  record(tokenId: string, scopes: readonly string[]): void {
    const now = this.clock()
    for (const scope of scopes) {
      const key = `${tokenId} ${scope}`
      const entry = this.#pending.get(key)
      if (entry) {
        entry.count++
        entry.lastUsedAt = now
      } else {
        this.#pending.set(key, { tokenId, scope, count: 1, lastUsedAt: now })
      }
    }
    if (this.#pending.size >= this.options.maxEntries) this.#background()
  }

  /** Notes that `tokenId` was used, whether or not a scope was exercised (advances lastUsedAt only). */
  touch(tokenId: string): void {
    this.record(tokenId, [LAST_USED_ONLY])
  }

  /** Writes what has accumulated; flushes never overlap, and a failed batch is merged back for the next. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.catch(() => undefined).then(async () => {
      if (this.#pending.size === 0) return
      const batch = this.#pending
      this.#pending = new Map()
      try {
        await this.store.recordUsage([...batch.values()])
      } catch (error) {
        for (const [key, u] of batch) {
          const entry = this.#pending.get(key)
          if (entry) {
            entry.count += u.count
            entry.lastUsedAt = Math.max(entry.lastUsedAt, u.lastUsedAt)
          } else this.#pending.set(key, u)
        }
        throw error
      }
    })
    return this.#flushing
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
    await this.flush()
  }
}
