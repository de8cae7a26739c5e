/**
 * Scope hierarchy: a scope implies others (`tokens:write` → `tokens:read`), transitively.
 * Matching is by exact string after closure: no prefixes, no wildcards, so `write:user` can never
 * match inside `write:users` (the graphql-auth-directives `indexOf` bug).
 */
export type Implies = Readonly<Record<string, readonly string[]>>

/** The transitive closure of `held` under `implies` (cycles are fine). */
export function closeScopes(held: Iterable<string>, implies: Implies): Set<string> {
  const closed = new Set<string>()
  const stack: string[] = [...held]
  while (stack.length > 0) {
    const scope = stack.pop() as string
    if (closed.has(scope)) continue
    closed.add(scope)
    // Object.hasOwn: a scope named "constructor" or "__proto__" must not reach the prototype.
    const next = Object.hasOwn(implies, scope) ? implies[scope] : undefined
    if (next !== undefined) for (const s of next) if (!closed.has(s)) stack.push(s)
  }
  return closed
}

/** Per-scope closures of one hierarchy snapshot, computed lazily and memoized. */
export interface ClosureIndex {
  readonly implies: Implies
  /** Every scope `scope` implies, itself included. */
  closureOf(scope: string): ReadonlySet<string>
}

const indexes = new WeakMap<Implies, ClosureIndex>()

/** The memoized closure index of a hierarchy snapshot (keyed by object identity). */
export function closureIndex(implies: Implies): ClosureIndex {
  let index = indexes.get(implies)
  if (index === undefined) {
    const memo = new Map<string, ReadonlySet<string>>()
    index = {
      implies,
      closureOf(scope) {
        let c = memo.get(scope)
        if (c === undefined) memo.set(scope, (c = closeScopes([scope], implies)))
        return c
      },
    }
    indexes.set(implies, index)
  }
  return index
}
