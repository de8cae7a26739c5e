import { LRUCache } from 'lru-cache'
import type { ScopeRecord } from './model.js'
import type { Store } from './ports.js'
import { closeUnderImplies, type ImpliesMap } from './scope-rules.js'

/**
 * The declared scopes and their `implies` graph, held in memory (read on every request,
 * changed rarely). `refresh` reloads it after a change, here or on another instance.
 */
export class ScopeCatalogue {
  #implies: ImpliesMap = {}
  #scopes: ScopeRecord[] = []
  #closures = newClosureCache()

  constructor(private readonly store: Store) {}

  async refresh(): Promise<void> {
    const scopes = await this.store.listScopes()
    this.#scopes = scopes
    this.#implies = Object.fromEntries(scopes.map((s) => [s.name, s.implies]))
    this.#closures = newClosureCache()
  }

  get implies(): ImpliesMap {
    return this.#implies
  }

  get all(): readonly ScopeRecord[] {
    return this.#scopes
  }

  isDeclared(name: string): boolean {
    return Object.hasOwn(this.#implies, name)
  }

  /** `scopes` closed under `implies`, memoised per distinct scope list (tokens share few distinct lists). */
  close(scopes: readonly string[]): ReadonlySet<string> {
    const key = JSON.stringify(scopes) // unambiguous whatever the names hold
    let closed = this.#closures.get(key)
    if (!closed) {
      closed = closeUnderImplies(scopes, this.#implies)
      this.#closures.set(key, closed)
    }
    return closed
  }
}

/** Distinct scope lists whose closures are remembered at once. */
const MAX_CLOSURES = 10_000

/**
 * Closures of one catalogue snapshot, by scope list. Cache policy (as every bounded cache here):
 * LRU with a max entry count; no TTL, since an entry is stale only when the catalogue changes, and
 * `refresh` then starts a new cache.
 */
function newClosureCache(): LRUCache<string, ReadonlySet<string>> {
  return new LRUCache({ max: MAX_CLOSURES })
}
