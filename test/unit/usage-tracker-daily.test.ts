// Issue 13: the usage tracker's per-day counts (Token.usageByDay): tallied in memory on the request
// path, written only by a flush, bucketed by the UTC day of each use, and kept when a flush fails.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { DailyUsage, ScopeUsage } from '../../src/domain/model.js'
import type { Store } from '../../src/domain/ports.js'
import { DELETE_BATCH as PRUNE_BATCH } from '../../src/domain/delete-in-batches.js'
import { pruneDailyUsage, UsageTracker } from '../../src/domain/usage-tracker.js'

/** A store that records each recordUsage call, failing the first `failures` of them. */
function recordingStore(failures = 0) {
  const calls: { usage: ScopeUsage[]; needs: ScopeUsage[]; daily: DailyUsage[] }[] = []
  let left = failures
  const store = {
    recordUsage: (usage: ScopeUsage[], needs: ScopeUsage[] = [], daily: DailyUsage[] = []): Promise<void> => {
      if (left-- > 0) return Promise.reject(new Error('database down'))
      calls.push({ usage, needs, daily })
      return Promise.resolve()
    },
  } as unknown as Store
  return { store, calls }
}

const byKey = (rows: DailyUsage[]) => Object.fromEntries(rows.map((d) => [`${d.tokenId} ${d.day} ${d.scope}`, d.count]))

test('13 uses are counted per UTC day and scope, and written only when the tracker flushes', async () => {
  const { store, calls } = recordingStore()
  let now = Date.parse('2026-12-05T23:59:59.000Z')
  const tracker = new UsageTracker(store, () => now, { flushIntervalMs: 60_000, maxEntries: 1000, onError: () => undefined })
  tracker.record('t1', ['tokens:read', 'apps:read'])
  tracker.record('t1', ['tokens:read'])
  now += 2000 // past midnight, UTC
  tracker.record('t1', ['tokens:read'])
  tracker.touch('t2') // a use without a scope: lastUsedAt only, no daily count
  assert.equal(calls.length, 0, 'nothing is written on the request path')
  await tracker.flush()
  assert.equal(calls.length, 1)
  assert.deepEqual(byKey(calls[0]?.daily ?? []), {
    't1 2026-12-05 tokens:read': 2,
    't1 2026-12-05 apps:read': 1,
    't1 2026-12-06 tokens:read': 1,
  })
  await tracker.flush()
  assert.equal(calls.length, 1, 'an empty flush writes nothing')
})

test('13 a failed flush keeps the daily counts and the next one writes them with the new ones', async () => {
  const { store, calls } = recordingStore(1)
  const now = Date.parse('2026-12-06T10:00:00.000Z')
  const tracker = new UsageTracker(store, () => now, { flushIntervalMs: 60_000, maxEntries: 1000, onError: () => undefined })
  tracker.record('t1', ['tokens:read'])
  await assert.rejects(tracker.flush(), /database down/)
  tracker.record('t1', ['tokens:read'])
  await tracker.flush()
  assert.deepEqual(byKey(calls[0]?.daily ?? []), { 't1 2026-12-06 tokens:read': 2 })
})

test('pruning deletes the days no usageByDay can read (before the 90-day window, one day of margin), in bounded batches', async () => {
  const calls: [string, number][] = []
  let left = 2 * PRUNE_BATCH + 10
  const store = {
    deleteDailyUsageBefore: (day: string, limit: number): Promise<number> => {
      calls.push([day, limit])
      const n = Math.min(left, limit)
      left -= n
      return Promise.resolve(n)
    },
  }
  const now = Date.parse('2026-12-06T10:00:00.000Z')
  assert.equal(await pruneDailyUsage(store, now), 2 * PRUNE_BATCH + 10)
  // usageByDay(days: 90) reads from 2026-09-08 (today and the 89 days before); 2026-09-07 is the margin.
  assert.deepEqual(calls, [
    ['2026-09-07', PRUNE_BATCH],
    ['2026-09-07', PRUNE_BATCH],
    ['2026-09-07', PRUNE_BATCH],
  ])
  left = 100 * PRUNE_BATCH
  calls.length = 0
  assert.equal(await pruneDailyUsage(store, now), 5 * PRUNE_BATCH, 'at most five statements a run: a backlog goes over several')
  assert.equal(calls.length, 5)
})

test('a running tracker prunes after its first flush, then at most once an hour', async () => {
  const pruned: number[] = []
  let now = Date.parse('2026-12-06T10:00:00.000Z')
  const store = {
    recordUsage: () => Promise.resolve(),
    setMeta: () => Promise.resolve(),
    deleteMeta: () => Promise.resolve(),
    deleteDailyUsageBefore: () => {
      pruned.push(now)
      return Promise.resolve(0)
    },
  } as unknown as Store
  // maxEntries 1: every record starts a background flush at once, as the timer would.
  const tracker = new UsageTracker(store, () => now, { flushIntervalMs: 3_600_000, maxEntries: 1, onError: (e) => assert.fail(e as Error) })
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20))
  tracker.record('t1', ['a:read'])
  await settle()
  assert.equal(pruned.length, 1, 'the first flush prunes')
  now += 30 * 60_000
  tracker.record('t1', ['a:read'])
  await settle()
  assert.equal(pruned.length, 1, 'not again within the hour')
  now += 31 * 60_000
  tracker.record('t1', ['a:read'])
  await settle()
  assert.equal(pruned.length, 2, 'again an hour later')
  await tracker.stop()
})
