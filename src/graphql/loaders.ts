import DataLoader from 'dataloader'
import { findDerivedTokens, findTokens, readApps, readNeeds, readTokens, readUsage } from '../domain/batch-reads.js'
import type { Domain, Principal } from '../domain/context.js'
import { ScopewardError } from '../errors.js'
import type { AppRecord, ScopeUsage, TokenRecord } from '../domain/model.js'

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
  /** The direct children of a token that the caller may see, oldest first. */
  readonly derivedTokens: DataLoader<string, TokenRecord[]>
  /** Any token by id, unguarded: only for statuses and other checks whose result is not the row itself. */
  readonly tokenRecord: DataLoader<string, TokenRecord | null>
  readonly app: DataLoader<string, AppRecord | null>
  /** A token's usage rows, by scope. */
  readonly usage: DataLoader<string, ScopeUsage[]>
  /** A token's recorded needs. */
  readonly needs: DataLoader<string, ScopeUsage[]>
}

/** Keys per store read at most: a page is at most 100 tokens, this bounds the parameters of one query. */
const MAX_BATCH = 500

/** The loaders of one request made by `principal` (null: no caller, and every guarded load fails UNAUTHENTICATED). */
export function createLoaders(domain: Domain, principal: Principal | null): Loaders {
  const caller = (): Principal => {
    if (!principal) throw new ScopewardError('UNAUTHENTICATED', 'a token is required')
    return principal
  }
  const options = { cache: false, maxBatchSize: MAX_BATCH }
  // Each loader is made on first use: most requests (`{ viewer { id } }`) never need one.
  const lazy = <K, V>(batch: (keys: readonly K[]) => Promise<V[]>): (() => DataLoader<K, V>) => {
    let loader: DataLoader<K, V> | undefined
    return () => (loader ??= new DataLoader(batch, options))
  }
  const visibleToken = lazy(async (ids: readonly string[]) => findTokens(domain, caller(), ids))
  const derivedTokens = lazy(async (ids: readonly string[]) => findDerivedTokens(domain, caller(), ids))
  const tokenRecord = lazy(async (ids: readonly string[]) => readTokens(domain, ids))
  const app = lazy(async (ids: readonly string[]) => readApps(domain, ids))
  const usage = lazy(async (ids: readonly string[]) => readUsage(domain, ids))
  const needs = lazy(async (ids: readonly string[]) => readNeeds(domain, ids))
  return {
    get visibleToken() {
      return visibleToken()
    },
    get derivedTokens() {
      return derivedTokens()
    },
    get tokenRecord() {
      return tokenRecord()
    },
    get app() {
      return app()
    },
    get usage() {
      return usage()
    },
    get needs() {
      return needs()
    },
  }
}
