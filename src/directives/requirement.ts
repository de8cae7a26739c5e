import type { ClosureIndex } from './close-scopes.js'

/**
 * A scope requirement in disjunctive normal form: an OR of AND-lists, the Apollo Federation
 * `@requiresScopes` shape. `[]` requires nothing (anyone, even without a token); `[[]]` requires a
 * caller holding no particular scope (`@authenticated`).
 */
export type Requirement = readonly (readonly string[])[]

/** Alternatives kept after a product: beyond this the smallest are kept (see `andRequirements`). */
export const MAX_ALTERNATIVES = 256

const byLength = (a: readonly string[], b: readonly string[]): number => {
  if (a.length !== b.length) return a.length - b.length
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as string
    const y = b[i] as string
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

/**
 * How much an alternative grants: the number of scopes it implies, itself included (its size
 * without a hierarchy). `[admin]` implying `a` and `b` weighs 3, `[a, b]` 2: least is lightest.
 */
function weight(alt: readonly string[], index?: ClosureIndex): number {
  if (index === undefined) return alt.length
  if (alt.length === 1) return index.closureOf(alt[0] as string).size
  const all = new Set<string>()
  for (const s of alt) for (const c of index.closureOf(s)) all.add(c)
  return all.size
}

/** Least first: by what the alternatives imply, then size, then lexicographically. */
function byWeight(index?: ClosureIndex): (a: readonly string[], b: readonly string[]) => number {
  if (index === undefined) return byLength
  const weights = new Map<readonly string[], number>()
  const w = (alt: readonly string[]): number => {
    let v = weights.get(alt)
    if (v === undefined) weights.set(alt, (v = weight(alt, index)))
    return v
  }
  return (a, b) => w(a) - w(b) || byLength(a, b)
}

/**
 * Minimal form: each alternative sorted and deduplicated (and, given a hierarchy, stripped of
 * scopes implied by another scope in it); alternatives implied by another dropped; least first:
 * by what each implies (given a hierarchy), then size, then lexicographically. Without `index`,
 * only plain set inclusion is used.
 */
export function minimizeRequirement(req: Requirement, index?: ClosureIndex): Requirement {
  if (req.length === 0) return req
  // Lightest first, so an alternative that implies a kept one (`[admin]` ⊇ `[a, b]`) is dropped.
  const alts = req.map((alt) => reduceAlternative(alt, index)).sort(byWeight(index))
  const kept: string[][] = []
  for (const alt of alts) {
    // alt is redundant if some kept (smaller or equal) alternative is satisfied whenever alt is.
    if (!kept.some((k) => covers(alt, k, index))) kept.push(alt)
  }
  return kept
}

function reduceAlternative(alt: readonly string[], index?: ClosureIndex): string[] {
  const sorted = [...new Set(alt)].sort()
  if (index === undefined || sorted.length < 2) return sorted
  return sorted.filter(
    (s) =>
      !sorted.some((t) => {
        if (t === s || !index.closureOf(t).has(s)) return false
        // Equivalent scopes (a cycle): keep the lexicographically smallest one.
        return !index.closureOf(s).has(t) || t < s
      }),
  )
}

/** Whether holding all of `alt` (closed under the hierarchy) satisfies all of `other`. */
function covers(alt: readonly string[], other: readonly string[], index?: ClosureIndex): boolean {
  return other.every((s) => alt.includes(s) || (index !== undefined && alt.some((t) => index.closureOf(t).has(s))))
}

/**
 * Conjunction of two requirements as a minimal DNF. The product is capped at `MAX_ALTERNATIVES`
 * by keeping the smallest alternatives: that only removes ways to satisfy it (stricter, never
 * looser), and it is used for reporting only — enforcement checks each field's own requirement.
 */
export function andRequirements(a: Requirement, b: Requirement, index?: ClosureIndex): Requirement {
  if (a.length === 0) return b
  if (b.length === 0) return a
  const product: string[][] = []
  for (const x of a) for (const y of b) product.push([...x, ...y])
  const min = minimizeRequirement(product, index)
  return min.length > MAX_ALTERNATIVES ? min.slice(0, MAX_ALTERNATIVES) : min
}

/**
 * Index of the first alternative whose scopes are all in `held` (already closed); -1 if none or
 * if there is no caller. Callers handle `[]` (nothing required) before asking.
 */
export function satisfiedAlternative(req: Requirement, held: ReadonlySet<string> | null): number {
  if (held === null) return -1
  for (let i = 0; i < req.length; i++) {
    const alt = req[i] as readonly string[]
    let ok = true
    for (let j = 0; j < alt.length; j++) {
      if (!held.has(alt[j] as string)) {
        ok = false
        break
      }
    }
    if (ok) return i
  }
  return -1
}

/** Whether a caller holding `held` (closed; null = no caller) meets `req`. */
export function satisfies(req: Requirement, held: ReadonlySet<string> | null): boolean {
  return req.length === 0 || satisfiedAlternative(req, held) >= 0
}

/**
 * The least set of scopes which, added to `held`, satisfies `req`: the minimum over alternatives
 * of (alternative − held), by what it implies given a hierarchy (else by size), ties going to the
 * first alternative.
 */
export function missingScopes(req: Requirement, held: ReadonlySet<string> | null, index?: ClosureIndex): string[] {
  let best: string[] | undefined
  let bestWeight = Infinity
  for (const alt of req) {
    const missing = held === null ? [...alt] : alt.filter((s) => !held.has(s))
    const w = weight(missing, index)
    if (best === undefined || w < bestWeight || (w === bestWeight && missing.length < best.length)) {
      best = missing
      bestWeight = w
    }
  }
  return best === undefined ? [] : [...new Set(best)].sort()
}

const underIndex = new WeakMap<ClosureIndex, WeakMap<Requirement, Requirement>>()

/**
 * `req` in minimal form under the hierarchy of `index` (least first by what alternatives imply),
 * memoised per hierarchy snapshot: field rules are read at build time, the hierarchy may change after.
 */
export function requirementUnder(req: Requirement, index: ClosureIndex): Requirement {
  if (req.length < 2 && (req[0]?.length ?? 0) < 2) return req
  let memo = underIndex.get(index)
  if (memo === undefined) underIndex.set(index, (memo = new WeakMap()))
  let under = memo.get(req)
  if (under === undefined) memo.set(req, (under = minimizeRequirement(req, index)))
  return under
}

/** Human text: `scope a`, `scopes a and b`, `scopes (a and b) or c`, `authentication` or `nothing`. */
export function describeRequirement(req: Requirement): string {
  if (req.length === 0) return 'nothing'
  const alts = req.filter((alt) => alt.length > 0)
  if (alts.length < req.length) return 'authentication'
  if (alts.length === 1) {
    const only = alts[0] as readonly string[]
    return only.length === 1 ? `scope ${only[0]}` : `scopes ${only.join(' and ')}`
  }
  return `scopes ${alts.map((alt) => (alt.length === 1 ? alt[0] : `(${alt.join(' and ')})`)).join(' or ')}`
}
