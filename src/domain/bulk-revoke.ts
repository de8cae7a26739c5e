import { badInput } from '../errors.js'
import type { TokenRecord } from './model.js'
import type { Call } from './actor.js'
import { auditEvent, type Domain } from './context.js'
import { actsAcrossApps } from './permissions.js'
import { parseDuration } from './duration.js'
import { listTokens } from './queries.js'
import { assertScopeName } from './scope-rules.js'
import { unusedSince } from './usage-report.js'
import { callerGuard } from './write-guard.js'
import { optionalText, parseInstant } from './validate.js'

export interface RevokeFilter {
  appId?: string | null
  scope?: string | null
  createdBefore?: string | null
  unusedFor?: string | null
  createdBy?: string | null
}

export interface BulkRevocationResult {
  tokens: TokenRecord[]
  revokedIds: string[]
  dryRun: boolean
}

/** At most this many tokens per bulk revocation: a typo in a filter must not be unbounded. */
export const MAX_BULK = 10_000

/**
 * Revokes every active token the caller may see that matches all of the filter, with their
 * descendants, in one transaction and one audit event. `dryRun` lists them and changes nothing.
 */
export async function revokeTokens(domain: Domain, call: Call, args: { filter: RevokeFilter; reason?: string | null; dryRun?: boolean | null }): Promise<BulkRevocationResult> {
  const f = args.filter
  if (f.appId == null && f.scope == null && f.createdBefore == null && f.unusedFor == null && f.createdBy == null)
    throw badInput('filter', 'filter: give at least one of appId, scope, createdBefore, unusedFor, createdBy')
  // A scope filter is a scope name; the reason is stored in the audit log: both obey the text rules.
  if (f.scope != null) assertScopeName(f.scope, 'filter.scope')
  const reason = optionalText(args.reason, 'reason', 500) ?? 'bulk revocation'
  const createdBefore = f.createdBefore != null ? parseInstant(f.createdBefore, 'filter.createdBefore') : undefined
  const since = f.unusedFor != null ? domain.clock() - parseDuration(f.unusedFor, 'filter.unusedFor') : undefined
  if (since !== undefined) await domain.usage.flush()
  const matched: TokenRecord[] = []
  let after: string | null = null
  for (;;) {
    const page = await listTokens(
      domain,
      call.actor,
      { appId: f.appId, status: 'ACTIVE', first: 100, after },
      { scope: f.scope ?? undefined, createdBefore, createdBy: f.createdBy ?? undefined },
    )
    let rows = page.rows
    if (since !== undefined) {
      const usage = await domain.store.listUsage(rows.map((t) => t.id))
      // "unused for" means it has used none of its scopes in the window and is older than it.
      rows = rows.filter((t) => t.createdAt <= since && unusedSince(t, usage, since).length === t.scopes.length)
    }
    matched.push(...rows)
    if (matched.length > MAX_BULK) throw badInput('filter', `filter: matches more than ${MAX_BULK} tokens; narrow it`)
    if (!page.hasNextPage) break
    after = page.endCursor
  }
  const dryRun = args.dryRun ?? false
  if (dryRun || matched.length === 0) return { tokens: matched, revokedIds: [], dryRun }
  const audit = auditEvent(domain, call, { action: 'token.revoke_bulk', target: null, appId: bulkAppId(call, f.appId ?? null), details: { filter: f, reason } })
  const revokedIds = await domain.store.revokeTokensCascade(
    matched.map((t) => t.id),
    domain.clock(),
    reason,
    audit,
    callerGuard(domain, call.actor),
  )
  return { tokens: matched, revokedIds, dryRun }
}

/** The app a bulk revocation is filed under: the filter's for a caller across apps, else the caller's own. */
function bulkAppId(call: Call, filtered: string | null): string | null {
  return call.actor.kind === 'token' && !actsAcrossApps(call.actor) ? call.actor.principal.app.id : filtered
}
