import { ScopewardError, badInput, notFound } from '../errors.js'
import { rotatedKey, type AppRecord, type RotatedEnd, type TokenConstraints, type TokenRecord } from './model.js'
import { hashSecret } from '../tokens/opaque-token.js'
import type { Call } from './actor.js'
import { auditEvent, type Domain, type Principal } from './context.js'
import { createdByOf, maySeeToken } from './permissions.js'
import { parseDuration } from './duration.js'
import { assertHeld, grantableScopes } from './grant.js'
import { issuerBinding, type IssuedToken } from './issue-token.js'
import { lookupToken } from './queries.js'
import { currentStatus, lifetimeEnd } from './token-status.js'
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
 * Rotation never widens what the token may consume: during a grace both secrets count in one
 * rate-limit window and spend one credit balance (`sharedLimits`, `handedOver`).
 */
export async function rotateToken(domain: Domain, call: Call, id: string, gracePeriod?: string | null): Promise<IssuedToken> {
  const graceMs = gracePeriod != null ? parseDuration(gracePeriod, 'gracePeriod') : 0
  if (graceMs > MAX_GRACE_MS) throw badInput('gracePeriod', 'gracePeriod: at most PT24H')
  return retryStale(() => rotateOnce(domain, call, id, graceMs))
}

async function rotateOnce(domain: Domain, call: Call, id: string, graceMs: number): Promise<IssuedToken> {
  const { actor } = call
  const old = await lookupToken(domain, id)
  if (!old || !maySeeToken(actor, old)) throw notFound('token', id)
  const now = domain.clock()
  // The same usability and policy checks as issuance: a token dead under the lifetime policy in force,
  // of a disabled app, or whose parent or issuer is dead is not revived by rotation.
  const app = await domain.store.getApp(old.appId)
  const status = app && app.disabledAt === null ? await currentStatus(domain, old) : 'disabled'
  if (status !== 'ACTIVE') throw badInput('id', `id: token ${JSON.stringify(id)} is ${status.toLowerCase()} and cannot be rotated`)
  if (old.kind !== 'OPAQUE') throw badInput('id', 'id: JWT access tokens are short-lived; issue a new one instead of rotating')
  const rotatedTo = await domain.store.getMeta(rotatedKey(old.id))
  if (rotatedTo !== null) throw badInput('id', `id: token ${JSON.stringify(id)} was already rotated (its successor is ${JSON.stringify(rotatedTo)}); rotate the successor`)
  assertHeld(old.scopes, grantableScopes(domain, actor), 'cannot rotate a token holding scopes the calling token does not hold')
  // A derived or exchanged token rotating another token gets its secret: the successor is bound to it as an
  // issued token would be (rotating itself, the successor simply takes its place, parent and binding).
  // The calling token, when the caller is one: its rows as authentication read them.
  const self: Principal | undefined = actor.kind === 'token' ? actor.principal : undefined
  const binding = self?.token.id === old.id ? null : issuerBinding(actor)
  if (binding !== null && old.boundTo !== null && old.boundTo !== binding) {
    throw new ScopewardError('FORBIDDEN', 'a derived or exchanged token cannot rotate a token bound to another issuer')
  }
  const fresh = domain.tokenFormat.generate()
  const successor: TokenRecord = {
    ...old,
    id: fresh.id,
    secretHash: hashSecret(fresh.secret),
    createdAt: now,
    expiresAt: successorExpiry(domain, old, app as AppRecord, now),
    lastUsedAt: null,
    createdBy: createdByOf(actor),
    boundTo: binding ?? old.boundTo,
    constraints: sharedLimits(old),
  }
  // Never beyond the parent it is derived from, nor the issuer it is bound to (whose end counts its policies too).
  for (const livesBy of [old.parentId, successor.boundTo]) {
    if (livesBy === null) continue
    const ancestor = livesBy === self?.token.id ? self.token : await domain.store.getToken(livesBy)
    const end = ancestor ? lifetimeEnd(domain, ancestor, self && ancestor.id === self.token.id ? self.app : await domain.store.getApp(ancestor.appId)) : now
    if (end !== null && (successor.expiresAt === null || successor.expiresAt > end)) successor.expiresAt = end
  }
  const parent = old.parentId !== null ? await domain.store.getToken(old.parentId) : null
  // Only the old token's end is written: a concurrent revocation (caught by the guard) is never overwritten.
  const oldEnd: RotatedEnd = {
    ...(graceMs > 0 ? { expiresAt: Math.min(old.expiresAt ?? Infinity, now + graceMs) } : { revokedAt: now, revokeReason: 'rotated' }),
    ...handedOver(old, successor.id),
  }
  const audit = auditEvent(domain, call, {
    action: 'token.rotate',
    target: old.id,
    appId: old.appId,
    details: { successor: successor.id, gracePeriodMs: graceMs, expiresAt: successor.expiresAt, ...(successor.boundTo !== null ? { boundTo: successor.boundTo } : {}) },
  })
  const guard = allOf(callerGuard(domain, actor), unchangedToken(old), notRotated(old.id), parent ? unchangedToken(parent) : null)
  await domain.store.rotateToken(old.id, successor, oldEnd, audit, guard)
  return { token: successor, secret: fresh.plaintext }
}

/**
 * The successor keeps the old token's lifetime, within the policies in force now (the app's and the
 * instance's maximum): as for issuance, where an inherited lifetime is a default and shrinks to fit.
 * A token issued without expiry keeps none only where no policy applies.
 */
function successorExpiry(domain: Domain, old: TokenRecord, app: AppRecord, now: number): number | null {
  const limits = [app.maxTokenLifetimeMs, domain.policies.maxTokenLifetimeMs].filter((n): n is number => n !== null)
  const lifetime = old.expiresAt === null ? null : old.expiresAt - old.createdAt
  if (limits.length === 0) return lifetime === null ? null : now + lifetime
  return now + Math.min(lifetime ?? Infinity, ...limits)
}

/** The successor's constraints: the old token's, its rate limit counted in the old token's window (`rateLimitKey`), not a fresh one. */
function sharedLimits(old: TokenRecord): TokenConstraints | null {
  const c = old.constraints
  return c?.rateLimit ? { ...c, rateLimitKey: c.rateLimitKey ?? old.id } : c
}

/**
 * What a rotation leaves the old token of its constraints: a link to its successor (`successor`),
 * whose allowlist and rate limit bind the old secret too, as they are at each request; and, if it
 * spends credits, a balance of 0 that never refills, its spends drawn from the successor's
 * (`creditsFrom`), to which the store moves the balance in the rotation's transaction (ports.ts
 * `rotateToken`). Two secrets, one set of limits: during a grace, and for a request that
 * authenticated just before a rotation without one.
 */
function handedOver(old: TokenRecord, successorId: string): Partial<Pick<TokenRecord, 'constraints' | 'creditsRemaining' | 'creditsRefilledAt'>> {
  const constraints = { ...old.constraints, successor: successorId }
  if (old.creditsRemaining === null) return { constraints }
  return { constraints: { ...constraints, creditsFrom: successorId }, creditsRemaining: 0, creditsRefilledAt: null }
}
