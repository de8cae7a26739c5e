import { randomUUID } from 'node:crypto'
import type { Clock } from '../clock.js'
import { deleteInBatches } from './delete-in-batches.js'
import { MAX_USAGE_DAYS, utcDay, type DailyUsage, type ScopeUsage } from './model.js'
import type { Store } from './ports.js'
import type { Domain, Principal, UsageRecorder } from './context.js'

/** The pseudo-scope of a usage entry that only advances a token's lastUsedAt. */
export const LAST_USED_ONLY = ''

type Tally = Map<string, ScopeUsage>
type DailyTally = Map<string, DailyUsage>

/** Meta key prefix of each running instance's usage heartbeat. */
export const HEARTBEAT_PREFIX = 'usage_heartbeat:'

/**
 * A span of time whose usage may be lost: an instance stopped without flushing (kill -9, power
 * loss, OOM) after writing its usage up to `from`; it would have written again by `to`.
 */
export interface UsageGap {
  from: number
  to: number
}

/**
 * A resource server checked `principal`'s token (POST /oauth/introspect, /v1/verify) and was told
 * it is active with its scopes. That is a use, and of every scope in the answer: the resource
 * server may rely on any of them, and Scopeward cannot tell which, so each counts as used and as
 * needed. A token used only by resource servers is then never reported idle nor trimmed to nothing.
 */
export function recordResourceServerUse(domain: Pick<Domain, 'usage'>, principal: Principal): void {
  if (principal.held.length > 0) domain.usage.record(principal.token.id, principal.held, principal.held)
  else domain.usage.touch(principal.token.id)
}

/**
 * Aggregates which scopes each token exercises (the scopes it holds that satisfied a
 * requirement) and which scopes its requests required, in memory, and writes the totals in
 * batches: no database write on a request's path. Memory is bounded: past `maxEntries` distinct
 * (token, scope) pairs a flush is started at once.
 */
export class UsageTracker implements UsageRecorder {
  #used: Tally = new Map()
  #needed: Tally = new Map()
  #daily: DailyTally = new Map()
  #timer: NodeJS.Timeout | undefined
  #flushing: Promise<void> = Promise.resolve()
  readonly #instance = randomUUID()

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly options: { flushIntervalMs: number; maxEntries: number; onError: (error: unknown) => void },
  ) {}

  #background(): void {
    const upTo = this.clock()
    this.flush()
      .then(() => this.#heartbeat(upTo))
      .then(() => this.#pruneHourly(upTo))
      .catch(this.options.onError)
  }

  /**
   * Starts the periodic flush and writes this instance's heartbeat: the instant up to which its
   * usage is in the database. A clean stop deletes it; a crash leaves it behind, and that stale
   * heartbeat is the record of the usage window lost (see `gaps`).
   */
  async start(): Promise<void> {
    this.#timer ??= setInterval(() => this.#background(), this.options.flushIntervalMs)
    this.#timer.unref()
    await this.#heartbeat(this.clock())
  }

  #heartbeat(flushedUpTo: number): Promise<void> {
    return this.store.setMeta(HEARTBEAT_PREFIX + this.#instance, JSON.stringify({ at: flushedUpTo, flushMs: this.options.flushIntervalMs }))
  }

  /** Usage windows lost to other instances that stopped without flushing (see `usageGaps`). */
  gaps(): Promise<UsageGap[]> {
    return usageGaps(this.store, this.clock(), HEARTBEAT_PREFIX + this.#instance)
  }

  /**
   * Counts one use of each held scope in `used` by `tokenId`, and of each scope in `required` (the
   * requirement those scopes satisfied: what a narrower token would have needed).
   */
  record(tokenId: string, used: readonly string[], required: readonly string[] = []): void {
    const now = this.clock()
    tally(this.#used, tokenId, used, now)
    tally(this.#needed, tokenId, required, now)
    tallyDaily(this.#daily, tokenId, used, now)
    if (this.#used.size + this.#needed.size >= this.options.maxEntries) this.#background()
  }

  #prunedAt = Number.NEGATIVE_INFINITY

  /** At most once an hour (the first time at the first flush), after a flush. */
  async #pruneHourly(now: number): Promise<void> {
    if (now - this.#prunedAt < PRUNE_EVERY_MS) return
    this.#prunedAt = now
    await pruneDailyUsage(this.store, now)
  }

  /** Notes that `tokenId` was used, whether or not a scope was exercised (advances lastUsedAt only). */
  touch(tokenId: string): void {
    this.record(tokenId, [LAST_USED_ONLY])
  }

  /** Writes what has accumulated; flushes never overlap, and a failed batch is merged back for the next. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing
      .catch(() => undefined)
      .then(async () => {
        if (this.#used.size === 0 && this.#needed.size === 0) return
        const used = this.#used
        const needed = this.#needed
        const daily = this.#daily
        this.#used = new Map()
        this.#needed = new Map()
        this.#daily = new Map()
        try {
          await this.store.recordUsage([...used.values()], [...needed.values()], [...daily.values()])
        } catch (error) {
          mergeBack(this.#used, used)
          mergeBack(this.#needed, needed)
          for (const [key, d] of daily) {
            const entry = this.#daily.get(key)
            if (entry) entry.count += d.count
            else this.#daily.set(key, d)
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
    // Everything is written: nothing of this instance's usage is lost.
    await this.store.deleteMeta(HEARTBEAT_PREFIX + this.#instance)
  }
}

/**
 * The recorder of a process that serves no request (a one-shot command): it records nothing and has
 * nothing to flush; the usage windows other instances lost are read from the store as the server reads them.
 */
export function commandUsage(store: Pick<Store, 'listMeta'>, clock: Clock): UsageRecorder {
  return {
    flush: () => Promise.resolve(),
    touch: () => undefined,
    record: () => undefined,
    gaps: () => usageGaps(store, clock()),
  }
}

function tally(into: Tally, tokenId: string, scopes: readonly string[], now: number): void {
  for (const scope of scopes) {
    const key = `${tokenId} ${scope}`
    const entry = into.get(key)
    if (entry) {
      entry.count++
      entry.lastUsedAt = now
    } else {
      into.set(key, { tokenId, scope, count: 1, lastUsedAt: now })
    }
  }
}

const DAY_MS = 86_400_000
/** The UTC day last formatted, with its bounds: a request formats no date unless the day changed. */
let today = { from: 0, to: 0, day: '' }

function dayOf(now: number): string {
  if (now < today.from || now >= today.to) {
    const from = now - (now % DAY_MS)
    today = { from, to: from + DAY_MS, day: utcDay(now) }
  }
  return today.day
}

/** Counts each exercised scope once on the UTC day of `now` (the token page's requests-per-day chart). */
function tallyDaily(into: DailyTally, tokenId: string, scopes: readonly string[], now: number): void {
  const day = dayOf(now)
  for (const scope of scopes) {
    if (scope === LAST_USED_ONLY) continue
    const key = `${tokenId} ${day} ${scope}`
    const entry = into.get(key)
    if (entry) entry.count++
    else into.set(key, { tokenId, day, scope, count: 1 })
  }
}

const PRUNE_EVERY_MS = 3_600_000

/**
 * Deletes the per-day counts no `usageByDay` can read any more: days before the oldest of the widest
 * window (MAX_USAGE_DAYS, today included), with one day more for clocks that differ. In bounded
 * batches, each its own short statement: a large backlog goes over several runs. Returns how many.
 */
export async function pruneDailyUsage(store: Pick<Store, 'deleteDailyUsageBefore'>, now: number): Promise<number> {
  const before = utcDay(now - MAX_USAGE_DAYS * DAY_MS)
  return deleteInBatches((limit) => store.deleteDailyUsageBefore(before, limit))
}

function mergeBack(into: Tally, batch: Tally): void {
  for (const [key, u] of batch) {
    const entry = into.get(key)
    if (entry) {
      entry.count += u.count
      entry.lastUsedAt = Math.max(entry.lastUsedAt, u.lastUsedAt)
    } else into.set(key, u)
  }
}

/**
 * Usage windows lost to instances that stopped without flushing: heartbeats not renewed for three
 * flush intervals (`except`: the caller's own). Conservative: an instance stalled that long counts
 * too until it writes again.
 */
export async function usageGaps(store: Pick<Store, 'listMeta'>, now: number, except?: string): Promise<UsageGap[]> {
  const out: UsageGap[] = []
  for (const { key, value } of await store.listMeta(HEARTBEAT_PREFIX)) {
    if (key === except) continue
    const beat = parseHeartbeat(value)
    if (beat && now - beat.at > 3 * beat.flushMs) out.push({ from: beat.at, to: beat.at + 2 * beat.flushMs })
  }
  return out.sort((a, b) => a.from - b.from)
}

function parseHeartbeat(value: string): { at: number; flushMs: number } | null {
  try {
    const beat = JSON.parse(value) as { at?: unknown; flushMs?: unknown }
    return typeof beat.at === 'number' && typeof beat.flushMs === 'number' ? { at: beat.at, flushMs: beat.flushMs } : null
  } catch {
    return null
  }
}
