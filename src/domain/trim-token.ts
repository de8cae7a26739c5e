import { badInput, notFound } from '../errors.js'
import { EmptiedTokensError } from '../errors.js'
import { rotatedKey, type TokenRecord } from './model.js'
import type { Call } from './actor.js'
import { auditEvent, type Domain } from './context.js'
import { maySeeToken } from './permissions.js'
import { parseDuration } from './duration.js'
import { lookupToken } from './queries.js'
import { currentStatus } from './token-status.js'
import { narrower, suggestedScopes } from './usage-report.js'
import { allOf, callerGuard, notRotated, retryStale, unchangedToken } from './write-guard.js'

export interface TrimResult {
  token: TokenRecord
  removedScopes: string[]
  keptScopes: string[]
  dryRun: boolean
  /** Usage windows lost to a crash within the judged window. */
  usageGaps: { from: number; to: number }[]
}

/**
 * Narrows a token to the least scopes that cover what its requests required (within
 * `unusedFor`, default ever): unexercised scopes go, and a broader scope gives way to the narrower
 * one that sufficed (tokens:write used only to read becomes tokens:read). The new scopes always lie
 * within what the token held, so it never widens; derived tokens are narrowed with it (keeping what
 * they held that their parent still implies; refused when one would keep nothing). `dryRun` reports and changes nothing.
 */
export async function trimToken(
  domain: Domain,
  call: Call,
  args: { id: string; unusedFor?: string | null; dryRun?: boolean | null; allowUsageGaps?: boolean | null },
): Promise<TrimResult> {
  return retryStale(() => trimOnce(domain, call, args))
}

async function trimOnce(
  domain: Domain,
  call: Call,
  args: { id: string; unusedFor?: string | null; dryRun?: boolean | null; allowUsageGaps?: boolean | null },
): Promise<TrimResult> {
  const token = await lookupToken(domain, args.id)
  if (!token || !maySeeToken(call.actor, token)) throw notFound('token', args.id)
  if ((await currentStatus(domain, token)) !== 'ACTIVE') throw badInput('id', `id: token ${JSON.stringify(args.id)} is not active`)
  // A rotated token in its grace period is on its way out: trimming it would leave its successor as wide as before.
  const rotatedTo = await domain.store.getMeta(rotatedKey(token.id))
  if (rotatedTo !== null) throw badInput('id', `id: token ${JSON.stringify(args.id)} was rotated; trim its successor ${JSON.stringify(rotatedTo)}`)
  await domain.usage.flush()
  const now = domain.clock()
  const since = args.unusedFor != null ? now - parseDuration(args.unusedFor, 'unusedFor') : 0
  // Usage lost to a crash inside the judged window (from the later of `since` and the token's creation).
  const judgedFrom = Math.max(since, token.createdAt)
  const usageGaps = (await domain.usage.gaps()).filter((g) => g.to > judgedFrom && g.from < now)
  const suggested = suggestedScopes(domain, token, await domain.store.listNeeds([token.id]), since)
  const dryRun = args.dryRun ?? false
  if (!narrower(domain, token, suggested)) return { token, removedScopes: [], keptScopes: token.scopes, dryRun, usageGaps }
  const kept = suggested
  const removed = token.scopes.filter((s) => !kept.includes(s))
  if (dryRun) return { token, removedScopes: removed, keptScopes: kept, dryRun, usageGaps }
  if (kept.length === 0) throw badInput('id', `id: token ${JSON.stringify(args.id)} has used none of its scopes; revoke it instead`)
  if (usageGaps.length > 0 && !args.allowUsageGaps) {
    const spans = usageGaps.map((g) => `${new Date(g.from).toISOString()} to ${new Date(g.to).toISOString()}`).join(', ')
    throw badInput(
      'unusedFor',
      `unusedFor: usage from ${spans} may be lost (an instance stopped without flushing it), so a scope in use could look unused; trim over a window after it, or pass allowUsageGaps: true`,
      { usageGaps: usageGaps.map((g) => ({ from: new Date(g.from).toISOString(), to: new Date(g.to).toISOString() })) },
    )
  }
  const audit = auditEvent(domain, call, {
    action: 'token.trim',
    target: token.id,
    appId: token.appId,
    details: { removedScopes: removed, keptScopes: kept, ...(usageGaps.length > 0 ? { usageGaps } : {}) },
  })
  try {
    await domain.store.narrowTokenScopes(
      token.id,
      kept,
      audit,
      (scopes) => domain.catalogue.close(scopes),
      allOf(callerGuard(domain, call.actor), unchangedToken(token), notRotated(token.id)),
    )
  } catch (error) {
    // A derived token would keep no scope at all: a token never ends ACTIVE with nothing (revoke it instead).
    if (!(error instanceof EmptiedTokensError)) throw error
    throw badInput('id', `id: trimming ${JSON.stringify(args.id)} would leave derived tokens with no scope (${error.ids.join(', ')}); revoke them first`, {
      emptiedTokens: error.ids,
    })
  }
  return { token: (await domain.store.getToken(token.id)) as TokenRecord, removedScopes: removed, keptScopes: kept, dryRun, usageGaps }
}
