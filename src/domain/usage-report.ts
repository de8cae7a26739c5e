import type { ScopeUsage, TokenRecord } from './model.js'
import type { Actor } from './actor.js'
import type { Domain } from './context.js'
import { parseDuration } from './duration.js'
import { encodeCursor, pageSize } from './pagination.js'
import { listTokens } from './queries.js'

/** A token holding scopes it has not used within the window, and what it should hold instead. */
export interface OverPermissionedToken {
  token: TokenRecord
  unusedScopes: string[]
  /** The least scopes that cover what its requests required: what a trimmed token would hold. */
  suggestedScopes: string[]
}

export interface OverPermissionedPage {
  rows: OverPermissionedToken[]
  hasNextPage: boolean
  endCursor: string | null
  /** Usage windows lost to a crash within the judged window: what looks unused may not be. */
  usageGaps: { from: number; to: number }[]
}

/** Scopes of `token` not used since `since` (epoch ms), given its usage rows. */
export function unusedSince(token: TokenRecord, usage: readonly ScopeUsage[], since: number): string[] {
  const used = new Set(usage.filter((u) => u.tokenId === token.id && u.lastUsedAt >= since).map((u) => u.scope))
  return token.scopes.filter((s) => !used.has(s))
}

/**
 * The least scopes that would have served `token`'s requests since `since`: the scopes those
 * requests required (not the broader ones it held), within what it holds now (needs recorded
 * before an earlier trim must not widen it), minus any implied by another. A token that held
 * `tokens:write` but only read gets `tokens:read`.
 */
export function suggestedScopes(domain: Domain, token: TokenRecord, needs: readonly ScopeUsage[], since: number): string[] {
  const held = domain.catalogue.close(token.scopes)
  const needed = [...new Set(needs.filter((u) => u.tokenId === token.id && u.lastUsedAt >= since && held.has(u.scope)).map((u) => u.scope))]
  return needed.filter((s) => !needed.some((other) => other !== s && domain.catalogue.close([other]).has(s))).sort()
}

/** True when `suggested` lets a token do strictly less than `token.scopes` does. */
export function narrower(domain: Domain, token: TokenRecord, suggested: readonly string[]): boolean {
  const now = domain.catalogue.close(token.scopes)
  const then = domain.catalogue.close(suggested)
  return [...now].some((s) => !then.has(s))
}

/** Upper bound on tokens examined per call, so a report page is bounded work whatever the database size. */
const MAX_SCAN = 5000

/**
 * Active tokens the caller may see that could do more than their requests of the last
 * `unusedFor` needed: scopes never exercised, or broader scopes than were required (write where
 * only read was needed). A token younger than the window is not judged yet. Pages like `tokens`.
 */
export async function overPermissionedTokens(
  domain: Domain,
  actor: Actor,
  args: { unusedFor: string; first?: number | null; after?: string | null },
): Promise<OverPermissionedPage> {
  const window = parseDuration(args.unusedFor, 'unusedFor')
  const since = domain.clock() - window
  const want = pageSize(args.first)
  const rows: OverPermissionedToken[] = []
  let after = args.after ?? null
  let scanned = 0
  let exhausted = false
  scan: while (rows.length < want && scanned < MAX_SCAN) {
    const page = await listTokens(domain, actor, { status: 'ACTIVE', first: 100, after })
    scanned += page.rows.length
    const ids = page.rows.map((t) => t.id)
    const [usage, needs] = await Promise.all([domain.store.listUsage(ids), domain.store.listNeeds(ids)])
    for (const [i, token] of page.rows.entries()) {
      after = encodeCursor(token)
      if (token.createdAt > since) continue
      const unused = unusedSince(token, usage, since)
      const suggested = suggestedScopes(domain, token, needs, since)
      if (unused.length > 0 || narrower(domain, token, suggested)) rows.push({ token, unusedScopes: unused, suggestedScopes: suggested })
      if (rows.length === want) {
        exhausted = i === page.rows.length - 1 && !page.hasNextPage
        break scan
      }
    }
    if (!page.hasNextPage) {
      exhausted = true
      break
    }
  }
  // When the scan budget ran out, hasNextPage stays true: the client continues from endCursor.
  const hasNextPage = !exhausted
  const usageGaps = (await domain.usage.gaps()).filter((g) => g.to > since)
  return { rows, hasNextPage, endCursor: after, usageGaps }
}
