import type { ScopeUsage, TokenRecord } from '../store/store.js'
import type { Domain, Principal } from './context.js'
import { parseDuration } from './duration.js'
import { encodeCursor } from './pagination.js'
import { listTokens } from './queries.js'

/** A token holding scopes it has not used within the window, and what it should hold instead. */
export interface OverPermissionedToken {
  token: TokenRecord
  unusedScopes: string[]
  /** The scopes it did use: what a trimmed token would keep. */
  suggestedScopes: string[]
}

export interface OverPermissionedPage {
  rows: OverPermissionedToken[]
  hasNextPage: boolean
  endCursor: string | null
}

/** Scopes of `token` not used since `since` (epoch ms), given its usage rows. */
export function unusedSince(token: TokenRecord, usage: readonly ScopeUsage[], since: number): string[] {
  const used = new Set(usage.filter((u) => u.tokenId === token.id && u.lastUsedAt >= since).map((u) => u.scope))
  return token.scopes.filter((s) => !used.has(s))
}

/** Upper bound on tokens examined per call, so a report page is bounded work whatever the database size. */
const MAX_SCAN = 5000

/**
 * Active tokens the caller may see that hold scopes unused for `unusedFor` (a token younger
 * than the window is not judged yet). Pages by the same keyset as `tokens`.
 */
export async function overPermissionedTokens(
  domain: Domain,
  principal: Principal | null,
  args: { unusedFor: string; first?: number | null; after?: string | null },
): Promise<OverPermissionedPage> {
  const window = parseDuration(args.unusedFor, 'unusedFor')
  const since = domain.clock() - window
  const want = args.first ?? 20
  const rows: OverPermissionedToken[] = []
  let after = args.after ?? null
  let scanned = 0
  let exhausted = false
  scan: while (rows.length < want && scanned < MAX_SCAN) {
    const page = await listTokens(domain, principal, { status: 'ACTIVE', first: 100, after })
    scanned += page.rows.length
    const usage = await domain.store.listUsage(page.rows.map((t) => t.id))
    for (const [i, token] of page.rows.entries()) {
      after = encodeCursor(token)
      if (token.createdAt > since) continue
      const unused = unusedSince(token, usage, since)
      if (unused.length > 0) rows.push({ token, unusedScopes: unused, suggestedScopes: token.scopes.filter((s) => !unused.includes(s)) })
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
  return { rows, hasNextPage, endCursor: after }
}
