import { badInput, notFound } from '../errors.js'
import { rotatedKey, type TokenRecord } from '../store/store.js'
import { generateOpaqueToken, hashSecret } from '../tokens/opaque-token.js'
import { auditEvent, canSeeToken, type Domain, type Principal, type RequestInfo } from './context.js'
import { parseDuration } from './duration.js'
import { assertHeld, grantableScopes } from './grant.js'
import type { IssuedToken } from './issue-token.js'
import { lookupToken } from './queries.js'
import { tokenStatus } from './token-status.js'
import { allOf, callerGuard, notRotated, retryStale, unchangedToken } from './write-guard.js'

/** Longest grace during which a rotated secret still works: enough to roll out a new secret, short enough to bound a leak. */
export const MAX_GRACE_MS = 24 * 3600_000

/**
 * Replaces an opaque token with a successor (new id and secret, same app, subject, name,
 * scopes and lifetime). Without a grace period the old token is revoked at once; with one it
 * expires when the grace ends. Children move to the successor. The caller must be able to
 * grant every scope of the token, or rotation would hand it a secret more powerful than its own.
 * A token is rotated at most once: exactly one of concurrent rotations wins, and none after a
 * revocation of the token or its family (the write re-checks the token in its transaction).
 */
export async function rotateToken(domain: Domain, principal: Principal, request: RequestInfo, id: string, gracePeriod?: string | null): Promise<IssuedToken> {
  const graceMs = gracePeriod != null ? parseDuration(gracePeriod, 'gracePeriod') : 0
  if (graceMs > MAX_GRACE_MS) throw badInput('gracePeriod', 'gracePeriod: at most PT24H')
  return retryStale(() => rotateOnce(domain, principal, request, id, graceMs))
}

async function rotateOnce(domain: Domain, principal: Principal, request: RequestInfo, id: string, graceMs: number): Promise<IssuedToken> {
  const old = await lookupToken(domain, id)
  if (!old || !canSeeToken(principal, old)) throw notFound('token', id)
  const now = domain.clock()
  const status = tokenStatus(old, now)
  if (status !== 'ACTIVE') throw badInput('id', `id: token ${JSON.stringify(id)} is ${status.toLowerCase()} and cannot be rotated`)
  if (old.kind !== 'OPAQUE') throw badInput('id', 'id: JWT access tokens are short-lived; issue a new one instead of rotating')
  const rotatedTo = await domain.store.getMeta(rotatedKey(old.id))
  if (rotatedTo !== null) throw badInput('id', `id: token ${JSON.stringify(id)} was already rotated (its successor is ${JSON.stringify(rotatedTo)}); rotate the successor`)
  assertHeld(old.scopes, grantableScopes(domain, principal), 'cannot rotate a token holding scopes the calling token does not hold')
  const fresh = generateOpaqueToken()
  const successor: TokenRecord = {
    ...old,
    id: fresh.id,
    secretHash: hashSecret(fresh.secret),
    createdAt: now,
    expiresAt: old.expiresAt === null ? null : now + (old.expiresAt - old.createdAt),
    lastUsedAt: null,
    createdBy: principal.token.id,
  }
  const parent = old.parentId !== null ? await domain.store.getToken(old.parentId) : null
  if (parent?.expiresAt != null && (successor.expiresAt === null || successor.expiresAt > parent.expiresAt)) successor.expiresAt = parent.expiresAt
  const oldEnd = graceMs > 0 ? { expiresAt: Math.min(old.expiresAt ?? Infinity, now + graceMs) } : { revokedAt: now, revokeReason: 'rotated' }
  const audit = auditEvent(domain, principal, request, { action: 'token.rotate', target: old.id, appId: old.appId, details: { successor: successor.id, gracePeriodMs: graceMs } })
  const guard = allOf(callerGuard(domain, principal), unchangedToken(old), notRotated(old.id), parent ? unchangedToken(parent) : null)
  await domain.store.rotateToken(old.id, successor, oldEnd, audit, guard)
  return { token: successor, secret: fresh.plaintext }
}
