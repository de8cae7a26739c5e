import type { AppRecord, TokenRecord } from './model.js'
import { looksLikeOpaqueToken, parseOpaqueToken, secretMatches } from '../tokens/opaque-token.js'
import type { Domain, Principal } from './context.js'
import { deadAncestor, tokenStatus } from './token-status.js'

/** Why a presented token was refused: logged and counted inside, never told to the client. */
export type AuthFailure = 'malformed' | 'bad_checksum' | 'unknown' | 'wrong_secret' | 'expired' | 'revoked' | 'app_disabled' | 'bad_signature' | 'bad_claims'

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: AuthFailure }

/** Verifies JWT access tokens; supplied by tokens/ when signing keys are configured. */
export interface JwtVerifier {
  verify(presented: string): Promise<{ ok: true; tokenId: string; clientId: string } | { ok: false; reason: AuthFailure }>
}

/** Longest bearer credential accepted at all: bounds work spent on garbage. */
export const MAX_TOKEN_LENGTH = 4096

/**
 * Authenticates a bearer token: an opaque token (checksum first, then the row by id, then the
 * secret hash in constant time) or a JWT (signature, then its row). Then the checks every kind
 * shares: not revoked (cascades are written at revocation), not expired, app enabled.
 */
export async function authenticate(domain: Domain & { jwtVerifier?: JwtVerifier | undefined }, presented: string): Promise<AuthResult> {
  if (presented.length === 0 || presented.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' }
  let token: TokenRecord | null
  if (looksLikeOpaqueToken(presented)) {
    const parsed = parseOpaqueToken(presented)
    if (!parsed) return { ok: false, reason: 'bad_checksum' }
    token = await domain.store.getToken(parsed.id)
    // Same answer for unknown id and wrong secret; the hash is compared in constant time.
    if (!token || token.secretHash === null) return { ok: false, reason: 'unknown' }
    if (!secretMatches(parsed.secret, token.secretHash)) return { ok: false, reason: 'wrong_secret' }
  } else if (domain.jwtVerifier && presented.includes('.')) {
    const verified = await domain.jwtVerifier.verify(presented)
    if (!verified.ok) return verified
    token = await domain.store.getToken(verified.tokenId)
    if (!token || token.kind !== 'JWT') return { ok: false, reason: 'unknown' }
    // Defence in depth: the signed client_id must name the app the jti row belongs to.
    if (token.appId !== verified.clientId) return { ok: false, reason: 'bad_claims' }
  } else {
    return { ok: false, reason: 'malformed' }
  }
  return checkUsable(domain, token)
}

/** The checks shared by every token kind and by introspection. */
export async function checkUsable(domain: Domain, token: TokenRecord): Promise<AuthResult> {
  const now = domain.clock()
  const tokenReason = unusableToken(domain, token, now)
  if (tokenReason) return { ok: false, reason: tokenReason }
  const app = await domain.store.getApp(token.appId)
  const reason = unusableReason(domain, token, app, now)
  if (reason || !app) return { ok: false, reason: reason ?? 'app_disabled' }
  // The tokens this one lives by (its parent, the issuer it is bound to) must be alive too, under their policies.
  if (token.parentId !== null || token.boundTo !== null) {
    // Ancestors are mostly of the same app (a derived token always is): it is not read again.
    const dead = await deadAncestor(domain, token, { app: (id) => (id === app.id ? app : domain.store.getApp(id)) })
    if (dead !== null) return { ok: false, reason: dead === 'REVOKED' ? 'revoked' : 'expired' }
  }
  const scopes = effectiveScopes(domain, token, app)
  return { ok: true, principal: { token, app, scopes, held: heldScopes(domain, token.scopes, scopes) } }
}

/** Why `token` of `app` may not act at `now`, or null: also re-checked inside every write's transaction. */
export function unusableReason(domain: Domain, token: TokenRecord, app: AppRecord | null, now: number): AuthFailure | null {
  const tokenReason = unusableToken(domain, token, now)
  if (tokenReason) return tokenReason
  if (!app || app.disabledAt !== null) return 'app_disabled'
  // The app's lifetime policy applies at use too: lowering it reaches tokens already issued.
  if (app.maxTokenLifetimeMs !== null && now - token.createdAt > app.maxTokenLifetimeMs) return 'expired'
  return null
}

function unusableToken(domain: Domain, token: TokenRecord, now: number): AuthFailure | null {
  const status = tokenStatus(token, now)
  if (status === 'REVOKED') return 'revoked'
  if (status === 'EXPIRED') return 'expired'
  // The instance-wide lifetime policy applies at use too, so lowering it reaches tokens already issued.
  const max = domain.policies.maxTokenLifetimeMs
  if (max !== null && now - token.createdAt > max) return 'expired'
  // So does the JWT cap: a JWT issued before it (or before it was lowered) stops at its next request.
  if (token.kind === 'JWT' && now - token.createdAt > domain.policies.maxJwtLifetimeMs) return 'expired'
  return null
}

/**
 * The smallest list whose closure is `effective`: the token's own scopes that survive the
 * ceiling, plus what the ceiling left of the ones that did not (a tokens:write token of an app
 * narrowed to tokens:read holds tokens:read). Usage is recorded against these.
 */
export function heldScopes(domain: Domain, own: readonly string[], effective: ReadonlySet<string>): readonly string[] {
  if (own.every((s) => effective.has(s))) return own
  const kept = own.filter((s) => effective.has(s))
  const covered = domain.catalogue.close(kept)
  return [...kept, ...[...effective].filter((s) => !covered.has(s))].sort()
}

/** The token's scopes within its app's current ceiling, closed under implies. */
export function effectiveScopes(domain: Domain, token: TokenRecord, app: AppRecord): ReadonlySet<string> {
  const held = domain.catalogue.close(token.scopes)
  const ceiling = domain.catalogue.close(app.allowedScopes)
  for (const s of held) if (!ceiling.has(s)) return new Set([...held].filter((x) => ceiling.has(x)))
  return held
}
