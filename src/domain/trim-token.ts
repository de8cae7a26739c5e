import { badInput, notFound } from '../errors.js'
import type { TokenRecord } from '../store/store.js'
import { auditEvent, canSeeToken, type Domain, type Principal, type RequestInfo } from './context.js'
import { parseDuration } from './duration.js'
import { tokenStatus } from './token-status.js'
import { unusedSince } from './usage-report.js'

export interface TrimResult {
  token: TokenRecord
  removedScopes: string[]
  keptScopes: string[]
  dryRun: boolean
}

/**
 * Narrows a token to the scopes it has used (within `unusedFor`, default ever). It only ever
 * removes scopes; derived tokens are narrowed with it. `dryRun` reports and changes nothing.
 */
export async function trimToken(domain: Domain, principal: Principal | null, request: RequestInfo, args: { id: string; unusedFor?: string | null; dryRun?: boolean | null }): Promise<TrimResult> {
  const token = await domain.store.getToken(args.id)
  if (!token || (principal && !canSeeToken(principal, token))) throw notFound('token', args.id)
  if (tokenStatus(token, domain.clock()) !== 'ACTIVE') throw badInput('id', `id: token ${JSON.stringify(args.id)} is not active`)
  await domain.usage?.flush()
  const since = args.unusedFor != null ? domain.clock() - parseDuration(args.unusedFor, 'unusedFor') : 0
  const removed = unusedSince(token, await domain.store.getUsage(token.id), since)
  const kept = token.scopes.filter((s) => !removed.includes(s))
  const dryRun = args.dryRun ?? false
  if (removed.length === 0 || dryRun) return { token, removedScopes: removed, keptScopes: kept, dryRun }
  if (kept.length === 0) throw badInput('id', `id: token ${JSON.stringify(args.id)} has used none of its scopes; revoke it instead`)
  const audit = auditEvent(domain, principal, request, { action: 'token.trim', target: token.id, appId: token.appId, details: { removedScopes: removed, keptScopes: kept } })
  await domain.store.narrowTokenScopes(token.id, kept, audit)
  return { token: (await domain.store.getToken(token.id)) as TokenRecord, removedScopes: removed, keptScopes: kept, dryRun }
}
