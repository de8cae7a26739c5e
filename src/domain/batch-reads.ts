import type { AppRecord, ScopeUsage, TokenName, TokenRecord } from './model.js'
import { canSeeToken, type Domain, type Principal } from './context.js'

/**
 * Reads for many rows at once, one store call per batch, each answer in the order of the ids asked
 * (what a DataLoader batch function must return). The per-request loaders of graphql/loaders.ts
 * call these, so a list of N tokens costs one read per field, not N.
 */

/** Tokens by id, null where none: no visibility check, for rules that only look (a status, an ancestor). */
export async function readTokens(domain: Domain, ids: readonly string[]): Promise<(TokenRecord | null)[]> {
  return inOrder(ids, await domain.store.getTokens(unique(ids)))
}

/** Apps by id, null where none: no visibility check (a token's own app is visible with the token). */
export async function readApps(domain: Domain, ids: readonly string[]): Promise<(AppRecord | null)[]> {
  return inOrder(ids, await domain.store.getApps(unique(ids)))
}

/**
 * The tokens `principal` may see, by id: null for one it may not, exactly as for one that does not
 * exist (the rule of `findToken`, which `token(id:)` answers by: issue 18.7).
 */
export async function findTokens(domain: Domain, principal: Principal, ids: readonly string[]): Promise<(TokenRecord | null)[]> {
  return visibleOnly(principal, await readTokens(domain, ids))
}

/** The id and name of the tokens `principal` may see, by id, null where `findTokens` answers null. */
export async function findTokenNames(domain: Domain, principal: Principal, ids: readonly string[]): Promise<(TokenName | null)[]> {
  return visibleOnly(principal, inOrder(ids, await domain.store.getTokenNames(unique(ids))))
}

/** The direct children of each token that `principal` may see, oldest first. */
export async function findDerivedTokens(domain: Domain, principal: Principal, parentIds: readonly string[]): Promise<TokenRecord[][]> {
  const children = (await domain.store.listChildTokens(unique(parentIds))).filter((c) => canSeeToken(principal, c)).sort((a, b) => a.createdAt - b.createdAt)
  return groupBy(parentIds, children, (c) => c.parentId)
}

/** Each token's usage rows (scopes exercised), by scope as `Store.getUsage` orders them (`listUsage` returns them so). */
export async function readUsage(domain: Domain, tokenIds: readonly string[]): Promise<ScopeUsage[][]> {
  return groupBy(tokenIds, await domain.store.listUsage(unique(tokenIds)), (u) => u.tokenId)
}

/** The scopes each token has exercised, in the order `readUsage` gives their rows. */
export async function readUsedScopes(domain: Domain, tokenIds: readonly string[]): Promise<string[][]> {
  return groupBy(
    tokenIds,
    await domain.store.listUsedScopes(unique(tokenIds)),
    (u) => u.tokenId,
    (u) => u.scope,
  )
}

/** Each token's recorded needs (the scopes its requests required). */
export async function readNeeds(domain: Domain, tokenIds: readonly string[]): Promise<ScopeUsage[][]> {
  return groupBy(tokenIds, await domain.store.listNeeds(unique(tokenIds)), (u) => u.tokenId)
}

function visibleOnly<T extends TokenName>(principal: Principal, tokens: readonly (T | null)[]): (T | null)[] {
  return tokens.map((token) => (token && canSeeToken(principal, token) ? token : null))
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)]
}

function inOrder<T extends { id: string }>(ids: readonly string[], rows: readonly T[]): (T | null)[] {
  const byId = new Map(rows.map((row) => [row.id, row]))
  return ids.map((id) => byId.get(id) ?? null)
}

function groupBy<T, V = T>(ids: readonly string[], rows: readonly T[], keyOf: (row: T) => string | null, valueOf = (row: T): V => row as unknown as V): V[][] {
  const groups = new Map<string, V[]>()
  for (const row of rows) {
    const key = keyOf(row)
    if (key === null) continue
    let group = groups.get(key)
    if (group === undefined) groups.set(key, (group = []))
    group.push(valueOf(row))
  }
  return ids.map((id) => groups.get(id) ?? [])
}
