// The options of every fast-check property in the suite: a bounded number of runs, and a fixed
// seed only when one is asked for. A failure prints its seed and path; `FC_SEED=<seed>` (and
// `FC_PATH=<path>` to go straight to the shrunk case) replays it exactly.
import type { Parameters } from 'fast-check'

/** `numRuns` runs, seeded from FC_SEED/FC_PATH when set (fast-check picks a fresh seed otherwise). */
export function propertyOptions<T>(numRuns: number, extra: Parameters<T> = {}): Parameters<T> {
  const seed = process.env.FC_SEED
  if (seed === undefined || seed === '') return { ...extra, numRuns }
  if (!/^-?\d+$/.test(seed)) throw new Error(`FC_SEED must be an integer, got ${JSON.stringify(seed)}`)
  const path = process.env.FC_PATH
  // A replay runs every case again: a wall-clock budget would cut it short at a different place.
  const { interruptAfterTimeLimit: _budget, ...rest } = extra
  return { ...rest, numRuns, seed: Number(seed), ...(path ? { path } : {}) }
}
