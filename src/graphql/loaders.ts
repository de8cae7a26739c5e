import DataLoader from 'dataloader'
import { findDerivedTokens, findTokenNames, findTokens, readApps, readNeeds, readTokens, readUsage, readUsedScopes } from '../domain/batch-reads.js'
import type { Domain, Principal } from '../domain/context.js'
import { ScopewardError } from '../errors.js'
import type { AppRecord, ScopeUsage, TokenName, TokenRecord } from '../domain/model.js'

/**
 * Per-request batch loaders for the fields of a token in a list (`createdBy`, `parent`,
 * `usedScopes`, `scopeUsage`, `derivedTokens`, ...): the loads a page of tokens makes in one tick
 * become one store read per field (domain/batch-reads.ts), not one per row.
 *
 * Every loader that hands a token to the client applies the caller's boundary (`visibleToken`,
 * `derivedTokens`): there is no loader that returns another token unguarded to a resolver.
 * `tokenRecord` is for rules that only look (an ancestor's status) and must not be returned.
 *
 * Batching only, no cache across ticks (`cache: false`): a mutation in the same operation may
 * change a row read earlier, and a stale row must not be served after it.
 */
export interface Loaders {
  /** A token the caller may see, or null (unknown, or outside its boundary), as `token(id:)` answers. */
  readonly visibleToken: DataLoader<string, TokenRecord | null>
  /** As `visibleToken`, only the id and name (and the boundary's fields): for a selection of no more. */
  readonly visibleTokenName: DataLoader<string, TokenName | null>
  /** The direct children of a token that the caller may see, oldest first. */
  readonly derivedTokens: DataLoader<string, TokenRecord[]>
  /** Any token by id, unguarded: only for statuses and other checks whose result is not the row itself. */
  readonly tokenRecord: DataLoader<string, TokenRecord | null>
  readonly app: DataLoader<string, AppRecord | null>
  /** A token's usage rows, by scope. */
  readonly usage: DataLoader<string, ScopeUsage[]>
  /** A token's exercised scopes, as its usage rows order them (names only). */
  readonly usedScopes: DataLoader<string, string[]>
  /** A token's recorded needs. */
  readonly needs: DataLoader<string, ScopeUsage[]>
}

/** Keys per store read at most: a page is at most 100 tokens, this bounds the parameters of one query. */
const MAX_BATCH = 500

/** The loaders of one request made by `principal` (null: no caller, and every guarded load fails UNAUTHENTICATED). */
export function createLoaders(domain: Domain, principal: Principal | null): Loaders {
  return new RequestLoaders(domain, principal)
}

const OPTIONS = { cache: false, maxBatchSize: MAX_BATCH }

/**
 * Each loader is made on first use: most requests (`{ viewer { id } }`, a plain list) never need
 * one, so a request that reads no per-token field pays for one small object, not six loaders.
 */
class RequestLoaders implements Loaders {
  #visibleToken: DataLoader<string, TokenRecord | null> | undefined
  #visibleTokenName: DataLoader<string, TokenName | null> | undefined
  #derivedTokens: DataLoader<string, TokenRecord[]> | undefined
  #tokenRecord: DataLoader<string, TokenRecord | null> | undefined
  #app: DataLoader<string, AppRecord | null> | undefined
  #usage: DataLoader<string, ScopeUsage[]> | undefined
  #usedScopes: DataLoader<string, string[]> | undefined
  #needs: DataLoader<string, ScopeUsage[]> | undefined

  constructor(
    readonly domain: Domain,
    readonly principal: Principal | null,
  ) {}

  #caller(): Principal {
    if (!this.principal) throw new ScopewardError('UNAUTHENTICATED', 'a token is required')
    return this.principal
  }

  get visibleToken(): DataLoader<string, TokenRecord | null> {
    return (this.#visibleToken ??= new DataLoader(async (ids: readonly string[]) => findTokens(this.domain, this.#caller(), ids), OPTIONS))
  }
  get visibleTokenName(): DataLoader<string, TokenName | null> {
    return (this.#visibleTokenName ??= new DataLoader(async (ids: readonly string[]) => findTokenNames(this.domain, this.#caller(), ids), OPTIONS))
  }
  get derivedTokens(): DataLoader<string, TokenRecord[]> {
    return (this.#derivedTokens ??= new DataLoader(async (ids: readonly string[]) => findDerivedTokens(this.domain, this.#caller(), ids), OPTIONS))
  }
  get tokenRecord(): DataLoader<string, TokenRecord | null> {
    return (this.#tokenRecord ??= new DataLoader(async (ids: readonly string[]) => readTokens(this.domain, ids), OPTIONS))
  }
  get app(): DataLoader<string, AppRecord | null> {
    return (this.#app ??= new DataLoader(async (ids: readonly string[]) => readApps(this.domain, ids), OPTIONS))
  }
  get usage(): DataLoader<string, ScopeUsage[]> {
    return (this.#usage ??= new DataLoader(async (ids: readonly string[]) => readUsage(this.domain, ids), OPTIONS))
  }
  get usedScopes(): DataLoader<string, string[]> {
    return (this.#usedScopes ??= new DataLoader(async (ids: readonly string[]) => readUsedScopes(this.domain, ids), OPTIONS))
  }
  get needs(): DataLoader<string, ScopeUsage[]> {
    return (this.#needs ??= new DataLoader(async (ids: readonly string[]) => readNeeds(this.domain, ids), OPTIONS))
  }
}
