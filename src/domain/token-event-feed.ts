// The cluster's token events, in commit order, for live subscriptions. The outbox hands each
// instance only its own commits (docs/outbox.md), so the feed reads the audit log itself: it keeps
// a cursor on `seq` and reads what follows whenever something may have committed — a local commit
// (the outbox), another instance's notice (PostgreSQL NOTIFY, through store.subscribe), or a
// periodic poll for writes that announce nothing (a token issued elsewhere, the command line on a
// shared SQLite file). One read serves every listener; nothing is read while no one listens.
import type { TokenRecord } from './model.js'
import type { Store } from './ports.js'
import { tokenEventsOf, tokenIdsOf, type TokenEvent } from './token-events.js'

export type TokenEventListener = (events: readonly TokenEvent[]) => void

export interface TokenEventFeedOptions {
  /** How often the log is read while someone listens, for writes no notice announces. */
  pollMs: number
  /** Where a failed read is reported; the next trigger reads again from the same cursor. */
  onError: (error: unknown) => void
}

const PAGE = 500

/** Token events of every instance, derived from the audit log after a cursor (docs/subscriptions.md). */
export class TokenEventFeed {
  readonly #store: Store
  readonly #options: TokenEventFeedOptions
  readonly #listeners = new Set<TokenEventListener>()
  /** The seq of the last event read; null while no one listens. */
  #cursor: number | null = null
  #starting: Promise<void> | null = null
  /** Bumped when the feed goes idle, so a read begun before does not move the new cursor. */
  #generation = 0
  #reading = false
  #again = false
  #timer: NodeJS.Timeout | null = null

  constructor(store: Store, options: TokenEventFeedOptions) {
    this.#store = store
    this.#options = options
    // Registered once: when no one listens, a wake-up reads nothing.
    store.outbox.subscribe(() => this.wake())
    store.subscribe(() => this.wake())
  }

  /**
   * Adds a listener of the events committed from now on; resolves once the cursor stands at the
   * log's end, with the function that removes it.
   */
  async listen(listener: TokenEventListener): Promise<() => void> {
    if (this.#cursor === null) await (this.#starting ??= this.#start())
    this.#listeners.add(listener)
    return () => {
      if (!this.#listeners.delete(listener) || this.#listeners.size > 0) return
      this.#idle()
    }
  }

  /** Reads what committed since the cursor (coalesced: one read at a time, another after it if woken meanwhile). */
  wake(): void {
    if (this.#cursor === null || this.#listeners.size === 0) return
    if (this.#reading) {
      this.#again = true
      return
    }
    this.#reading = true
    void this.#read(this.#generation).finally(() => {
      this.#reading = false
      if (this.#again) {
        this.#again = false
        this.wake()
      }
    })
  }

  /** How many listeners there are (for tests and metrics). */
  get listeners(): number {
    return this.#listeners.size
  }

  stop(): void {
    this.#listeners.clear()
    this.#idle()
  }

  async #start(): Promise<void> {
    const generation = this.#generation
    try {
      // seq ≥ count (seqs are distinct and positive): only events after a gap lie beyond it.
      let cursor = await this.#store.countAuditEvents({})
      for (;;) {
        const page = await this.#store.listAuditEvents({ after: cursor, limit: PAGE })
        cursor = page.rows[page.rows.length - 1]?.seq ?? cursor
        if (!page.hasNextPage) break
      }
      if (generation !== this.#generation) return
      this.#cursor = cursor
      this.#timer = setInterval(() => this.wake(), this.#options.pollMs)
      this.#timer.unref()
    } finally {
      this.#starting = null
    }
  }

  #idle(): void {
    this.#generation++
    this.#cursor = null
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }

  async #read(generation: number): Promise<void> {
    try {
      for (;;) {
        const after = this.#cursor
        if (after === null || generation !== this.#generation) return
        const page = await this.#store.listAuditEvents({ after, limit: PAGE })
        const ids = [...new Set(page.rows.flatMap(tokenIdsOf))]
        const tokens = new Map<string, TokenRecord>(ids.length > 0 ? (await this.#store.getTokens(ids)).map((t) => [t.id, t]) : [])
        if (generation !== this.#generation) return
        const events = page.rows.flatMap((row) => tokenEventsOf(row, tokens))
        this.#cursor = page.rows[page.rows.length - 1]?.seq ?? after
        if (events.length > 0) for (const listener of [...this.#listeners]) this.#deliver(listener, events)
        if (!page.hasNextPage) return
      }
    } catch (error) {
      this.#options.onError(error)
    }
  }

  #deliver(listener: TokenEventListener, events: readonly TokenEvent[]): void {
    try {
      listener(events)
    } catch (error) {
      this.#options.onError(error)
    }
  }
}
