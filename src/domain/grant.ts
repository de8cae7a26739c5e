import { ScopewardError, badInput } from '../errors.js'
import type { AppRecord } from './model.js'
import { unreachable, type Actor } from './actor.js'
import type { Domain, Principal } from './context.js'
import { assertScopeList, closeUnderImplies, normalizeScopes } from './scope-rules.js'

/**
 * The scopes the caller may hand out. The operator (whoever holds the database): every declared
 * scope. A client secret: none here (its own ceiling is checked by client-credentials.ts). A token:
 * what it holds (closed under implies).
 */
export function grantableScopes(domain: Domain, actor: Actor): ReadonlySet<string> {
  switch (actor.kind) {
    case 'operator':
      return new Set(Object.keys(domain.catalogue.implies))
    case 'client':
      return new Set()
    case 'token':
      return tokenGrantable(domain, actor.principal)
    default:
      return unreachable(actor)
  }
}

/**
 * A root-app token holding `scopes:write` administers the catalogue, so it may also grant
 * operator-declared scopes whose implications it holds itself (otherwise no one could ever be granted a new scope).
 */
function tokenGrantable(domain: Domain, principal: Principal): ReadonlySet<string> {
  if (!(principal.app.isRoot && principal.scopes.has('scopes:write'))) return principal.scopes
  const out = new Set(principal.scopes)
  for (const scope of domain.catalogue.all) {
    if (scope.builtIn || out.has(scope.name)) continue
    const implied = closeUnderImplies(scope.implies, domain.catalogue.implies)
    if ([...implied].every((s) => principal.scopes.has(s))) out.add(scope.name)
  }
  return out
}

/**
 * Refuses (FORBIDDEN) unless every scope in `scopes` is in `held`: `reason` is followed by the
 * missing scopes, which `extensions.missingScopes` lists too. Every escalation check goes through here.
 */
export function assertHeld(scopes: readonly string[], held: ReadonlySet<string>, reason: string, field?: string): void {
  const missing = normalizeScopes(scopes.filter((s) => !held.has(s)))
  if (missing.length > 0) throw new ScopewardError('FORBIDDEN', `${reason}: ${missing.join(', ')}`, { ...(field ? { field } : {}), details: { missingScopes: missing } })
}

/**
 * Validates requested scopes for a token of `app`: well-formed, declared, within the app's
 * ceiling (BAD_USER_INPUT) and within what the caller may grant (FORBIDDEN). Returns them normalised.
 */
export function checkRequestedScopes(domain: Domain, actor: Actor, app: AppRecord, requested: readonly string[], field: string): string[] {
  return checkScopesWithin(domain, grantableScopes(domain, actor), 'cannot grant scopes the calling token does not hold', app, requested, field)
}

/**
 * The same checks against any grantor's `grantable` set (a token's, or a client secret's ceiling):
 * declared and within the app's ceiling (BAD_USER_INPUT), within `grantable` (FORBIDDEN, `reason`).
 */
export function checkScopesWithin(domain: Domain, grantable: ReadonlySet<string>, reason: string, app: AppRecord, requested: readonly string[], field: string): string[] {
  if (requested.length === 0) throw badInput(field, `${field}: at least one scope is required (a token with no scope can do nothing)`)
  assertScopeList(requested, domain.catalogue.implies, field)
  const ceiling = domain.catalogue.close(app.allowedScopes)
  const outsideApp = normalizeScopes(requested.filter((s) => !ceiling.has(s)))
  if (outsideApp.length > 0) {
    throw badInput(field, `${field}: app ${JSON.stringify(app.id)} does not allow ${outsideApp.join(', ')}`, { disallowedScopes: outsideApp })
  }
  assertHeld(requested, grantable, reason, field)
  return normalizeScopes(requested)
}
