import { badInput } from '../errors.js'
import type { AppRecord, TokenKind } from './model.js'
import type { Domain } from './context.js'
import { formatDuration, parseDuration } from './duration.js'

export interface ExpiryRequest {
  /** The issuance instant the lifetime counts from (the new token's createdAt); default: now. */
  now?: number
  app: AppRecord
  kind: TokenKind
  /** ISO 8601 duration asked for; absent = the default lifetime of the kind. */
  expiresIn?: string | null | undefined
  /** A token that never expires: only when asked for explicitly and no policy forbids it. */
  noExpiry?: boolean | null | undefined
  /** The expiry of the token this one is derived from: a derived token never outlives it. */
  parentExpiresAt?: number | null | undefined
  isDerived?: boolean
  /** Who `parentExpiresAt` belongs to, for messages: a derived token's parent (default) or the issuer a token is bound to. */
  parentIs?: 'parent' | 'issuer'
}

/**
 * The expiry instant of a new token. An explicit lifetime beyond a policy is refused (never
 * silently shortened); the default lifetime shrinks to fit the app's, the instance's and the parent's limits.
 */
export function resolveExpiry(domain: Domain, request: ExpiryRequest): number | null {
  const now = request.now ?? domain.clock()
  const limits = [request.app.maxTokenLifetimeMs, domain.policies.maxTokenLifetimeMs].filter((n): n is number => n !== null)
  const limit = limits.length > 0 ? Math.min(...limits) : null
  if (request.noExpiry) {
    if (request.expiresIn) throw badInput('noExpiry', 'noExpiry: ask for either expiresIn or noExpiry, not both')
    if (request.kind === 'JWT') throw badInput('noExpiry', 'noExpiry: JWT access tokens always expire')
    if (limit !== null) throw badInput('noExpiry', `noExpiry: tokens of this app may live at most ${formatDuration(limit)}`)
    if (request.isDerived && request.parentExpiresAt != null) throw badInput('noExpiry', `noExpiry: ${outlives(request)}, which expires`)
    return null
  }
  const explicit = request.expiresIn != null
  let lifetime = explicit
    ? parseDuration(request.expiresIn as string, 'expiresIn')
    : request.kind === 'JWT'
      ? domain.policies.defaultJwtLifetimeMs
      : domain.policies.defaultOpaqueLifetimeMs
  if (request.kind === 'JWT' && lifetime > domain.policies.maxJwtLifetimeMs && (limit === null || limit > domain.policies.maxJwtLifetimeMs)) {
    const cap = formatDuration(domain.policies.maxJwtLifetimeMs)
    if (explicit) throw badInput('expiresIn', `expiresIn: ${request.expiresIn} exceeds the maximum JWT lifetime of ${cap} (SCOPEWARD_MAX_JWT_LIFETIME)`, { maxTokenLifetime: cap })
    lifetime = domain.policies.maxJwtLifetimeMs
  }
  if (limit !== null && lifetime > limit) {
    if (explicit)
      throw badInput('expiresIn', `expiresIn: ${request.expiresIn} exceeds the maximum token lifetime of ${formatDuration(limit)}`, { maxTokenLifetime: formatDuration(limit) })
    lifetime = limit
  }
  let expiresAt = now + lifetime
  if (request.parentExpiresAt != null && expiresAt > request.parentExpiresAt) {
    if (explicit) throw badInput('expiresIn', `expiresIn: ${outlives(request)}`)
    expiresAt = request.parentExpiresAt
  }
  return expiresAt
}

function outlives(request: ExpiryRequest): string {
  return request.parentIs === 'issuer' ? 'a token issued by a derived or exchanged token may not outlive the token issuing it' : 'a derived token may not outlive its parent'
}
