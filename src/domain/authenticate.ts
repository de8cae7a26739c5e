import type { AuthFailure } from '../auth/failure.js'
import { checkAppEnabled } from '../auth/policies/app-disabled.js'
import { checkExpiry } from '../auth/policies/expiry.js'
import { checkFormat } from '../auth/policies/format.js'
import { checkAppLifetime } from '../auth/policies/lifetime.js'
import { lookupToken } from '../auth/policies/lookup.js'
import { checkStatus } from '../auth/policies/status.js'
import type { AppPolicy, AuthSubject, TokenPolicy } from '../auth/policy.js'
import type { AuthRequest, TokenUse } from '../auth/request.js'
import type { AppRecord, TokenRecord } from './model.js'
import { NO_JWT_VERIFIER } from './disabled-features.js'
import { auditEvent, type Domain, type Principal } from './context.js'
import { deadAncestor, successorChain } from './token-status.js'

export type { AuthFailure } from '../auth/failure.js'
export { MAX_TOKEN_LENGTH } from '../auth/failure.js'
export type { JwtVerifier } from '../auth/policies/lookup.js'

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: AuthFailure }

/** The token-row policies, in order (src/auth/policy.ts): before the app is read. */
const TOKEN_POLICIES: readonly TokenPolicy[] = [checkStatus, checkExpiry]
/** The policies of a token with its app, in order. */
const APP_POLICIES: readonly AppPolicy[] = [checkAppEnabled, checkAppLifetime]

/** The domain as authentication needs it: the JWT verifier when JWTs are on, and the request policies the composition root chose. */
export type AuthDomain = Domain

/**
 * Authenticates a presented token by running the policies of src/auth/policy.ts in order, the
 * first refusal winning: format, lookup (constant-time secret check, or JWT signature then row),
 * status, expiry, app disabled, lifetime policy, the token's family, the audience, then every
 * request policy with `request`. `use`: in what role the token came (request policies decide by
 * it). `forResourceServer`: the token was presented to a resource server, which asks (/v1/verify).
 */
export async function authenticate(
  domain: AuthDomain,
  presented: string,
  request: AuthRequest,
  use: TokenUse = 'bearer',
  options: { forResourceServer?: boolean } = {},
): Promise<AuthResult> {
  const format = checkFormat(presented, domain.jwtVerifier !== NO_JWT_VERIFIER, domain.tokenFormat)
  if (!format.ok) return format
  const found = await lookupToken(format.credential, { getToken: (id) => domain.store.getToken(id), jwtVerifier: domain.jwtVerifier })
  if (!found.ok) return found
  const family = new Map<string, TokenRecord>()
  const usable = await checkUsable(domain, found.token, family)
  if (!usable.ok) return usable
  const audience = audienceReason(usable.principal, use, options.forResourceServer ?? false)
  if (audience !== null) return { ok: false, reason: audience }
  let principal = usable.principal
  const subject = await subjectOf(domain, principal, family)
  for (const policy of domain.requestPolicies) {
    const outcome = await policy.check(subject, request, use)
    if (outcome === null) continue
    if (typeof outcome === 'string') {
      if (outcome === 'address_not_allowed') await recordAddressRefusal(domain, principal, request)
      return { ok: false, reason: outcome }
    }
    principal = { ...principal, limits: { ...principal.limits, ...outcome.limits } }
  }
  return principal === usable.principal ? usable : { ok: true, principal }
}

/**
 * What the request policies judge: the token and its app, its ancestors (as the family check read
 * them: nothing more is read) and, for a rotated token, its current successor (one read per
 * rotation, only for a rotated-out secret).
 */
async function subjectOf(domain: Domain, principal: Principal, family: Map<string, TokenRecord>): Promise<AuthSubject> {
  const { token, app } = principal
  const successor = token.constraints?.successor ? ((await successorChain(token, familyLookup(domain, family))).at(-1) ?? null) : null
  if (token.parentId === null) return { token, app, successor }
  const ancestors: TokenRecord[] = []
  const seen = new Set<string>([token.id])
  for (let row = family.get(token.parentId); row && !seen.has(row.id); row = row.parentId !== null ? family.get(row.parentId) : undefined) {
    seen.add(row.id)
    ancestors.push(row)
  }
  return { token, app, ancestors, successor }
}

/** Reads a token row once per request: rows already read (`family`) are not read again, and rows read are kept there. */
function familyLookup(domain: Domain, family?: Map<string, TokenRecord>): (id: string) => Promise<TokenRecord | null> {
  return async (id) => {
    const known = family?.get(id)
    if (known) return known
    const row = await domain.store.getToken(id)
    if (row) family?.set(id, row)
    return row
  }
}

/**
 * A token used from outside its allowlist is audited (`token.address_refused`): its secret was
 * right, so its holder (or a thief) is using it from where it must not be. The refusal stands
 * whether or not the event is written; the request log and the failure metric record it anyway.
 */
async function recordAddressRefusal(domain: Domain, principal: Principal, request: AuthRequest): Promise<void> {
  const event = auditEvent(
    domain,
    { actor: { kind: 'token', principal }, request: { requestId: request.requestId, ip: request.ip } },
    {
      action: 'token.address_refused',
      target: principal.token.id,
      appId: principal.token.appId,
      details: { ip: request.ip, path: request.path },
    },
  )
  await domain.store.recordTokenEvent(event).catch(() => undefined)
}

/**
 * Policies 3-6 and the family check on a token row: what every token kind shares. `family`, when
 * given, receives the ancestor rows the family check read, by id (the request policies reuse them).
 */
export async function checkUsable(domain: Domain, token: TokenRecord, family?: Map<string, TokenRecord>): Promise<AuthResult> {
  const now = domain.clock()
  for (const policy of TOKEN_POLICIES) {
    const reason = policy(token, now, domain.policies)
    if (reason !== null) return { ok: false, reason }
  }
  const app = await domain.store.getApp(token.appId)
  const reason = appReason(token, app, now)
  if (reason || !app) return { ok: false, reason: reason ?? 'app_disabled' }
  // The tokens this one lives by (its parent, the issuer it is bound to) must be alive too, under their policies.
  if (token.parentId !== null || token.boundTo !== null) {
    // Ancestors are mostly of the same app (a derived token always is): it is not read again.
    const dead = await deadAncestor(domain, token, {
      app: (id) => (id === app.id ? app : domain.store.getApp(id)),
      token: familyLookup(domain, family),
    })
    if (dead !== null) return { ok: false, reason: dead === 'REVOKED' ? 'revoked' : 'expired' }
  }
  // A rotated-out secret in its grace lives only as long as what replaced it: revoking the successor
  // (or a later one) ends it at once, for a request as for a connection rechecked (recheck-principal.ts).
  if (token.constraints?.successor !== undefined && (await successorChain(token, familyLookup(domain, family))).some((row) => row.revokedAt !== null)) {
    return { ok: false, reason: 'revoked' }
  }
  const scopes = effectiveScopes(domain, token, app)
  return { ok: true, principal: { token, app, scopes, held: heldScopes(domain, token.scopes, scopes) } }
}

/**
 * RFC 8707: a JWT bound to other resources is for them, not for Scopeward's own API, so it is
 * refused there (`wrong_audience`); introspection and revocation still take it (they speak of the
 * token, not for it). For a resource server each of its audiences must still be one its app
 * declares: removing an audience from an app stops the JWTs that name it.
 */
function audienceReason(principal: Principal, use: TokenUse, forResourceServer: boolean): AuthFailure | null {
  const audiences = principal.token.audiences
  if (audiences === null || use === 'introspected' || use === 'revoked') return null
  if (!forResourceServer) return 'wrong_audience'
  return audiences.every((a) => principal.app.audiences.includes(a)) ? null : 'wrong_audience'
}

function appReason(token: TokenRecord, app: AppRecord | null, now: number): AuthFailure | null {
  for (const policy of APP_POLICIES) {
    const reason = policy(token, app, now)
    if (reason !== null) return reason
  }
  return null
}

/** Why `token` of `app` may not act at `now` (policies 3-6), or null: also re-checked inside every write's transaction. */
export function unusableReason(domain: Domain, token: TokenRecord, app: AppRecord | null, now: number): AuthFailure | null {
  for (const policy of TOKEN_POLICIES) {
    const reason = policy(token, now, domain.policies)
    if (reason !== null) return reason
  }
  return appReason(token, app, now)
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
