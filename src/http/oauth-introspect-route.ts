import type { IncomingMessage, ServerResponse } from 'node:http'
import { authenticate } from '../domain/authenticate.js'
import { canSeeToken, type Domain, type Principal } from '../domain/context.js'
import type { AuthenticatedClient } from '../domain/client-secrets.js'
import { recordResourceServerUse } from '../domain/usage-tracker.js'
import { requiredTokenParameter } from '../auth/credentials.js'
import { authenticateCaller, type Caller } from './client-auth.js'
import { OAuthError, withOAuthErrors } from './oauth-error.js'
import { readForm } from './read-form.js'
import { sendJson } from './respond.js'
import { authRequestOf, type RouteContext } from './route.js'
import type { TokenAuthority } from '../tokens/token-authority.js'

const INACTIVE = { active: false } as const

/** Whether the caller may learn about this token: the root app sees all, an app its own, a bearer token what it could query. */
function mayInspect(caller: Caller, callerPrincipal: Principal | null, token: Principal): boolean {
  if (callerPrincipal) return canSeeToken(callerPrincipal, token.token)
  return caller.kind === 'client' && (caller.app.isRoot || caller.app.id === token.app.id)
}

/** A client secret introspects only when its own ceiling and its app's both hold tokens:introspect, as a token would need to. */
function clientMayIntrospect(domain: Domain, client: AuthenticatedClient): boolean {
  return (
    client.secret.scopes !== null &&
    domain.catalogue.close(client.secret.scopes).has('tokens:introspect') &&
    domain.catalogue.close(client.app.allowedScopes).has('tokens:introspect')
  )
}

/**
 * The token's constraints as RFC 7662 §2.2 extension members: `allowed_cidrs`, `rate_limit`
 * ({limit, remaining, reset}: the state now, nothing spent) and `credits` ({remaining}). Absent
 * when the token has none.
 */
function constraintMembers(principal: Principal): Record<string, unknown> {
  const cidrs = principal.token.constraints?.allowedCidrs
  const { rateLimit, credits } = principal.limits ?? {}
  return { ...(cidrs ? { allowed_cidrs: cidrs } : {}), ...(rateLimit ? { rate_limit: rateLimit } : {}), ...(credits ? { credits } : {}) }
}

/**
 * POST /oauth/introspect (RFC 7662). The caller authenticates as an app (client secret) or with a
 * bearer token holding `tokens:introspect` (§2.1: unauthenticated callers could scan for tokens).
 * Any token that is not active — unknown, malformed, expired, revoked, of a disabled app, or one
 * the caller may not see — is answered exactly `{"active":false}`, so the answers leak nothing (§2.2).
 */
export function oauthIntrospectRoute(authority: TokenAuthority) {
  return withOAuthErrors(async (req: IncomingMessage, res: ServerResponse, rc: RouteContext): Promise<void> => {
    const form = readForm(req, rc.body)
    const caller = await authenticateCaller(rc.domain, req, form, { allowBearer: true })
    let callerPrincipal: Principal | null = null
    if (caller.kind === 'none') throw new OAuthError('invalid_client', 'introspection requires client authentication or a bearer token holding tokens:introspect')
    if (caller.kind === 'client' && !clientMayIntrospect(rc.domain, caller)) throw new OAuthError('insufficient_scope', 'the client secret does not allow tokens:introspect')
    if (caller.kind === 'bearer') {
      const result = await authenticate(rc.domain, caller.presented, authRequestOf(req, rc))
      if (!result.ok) {
        rc.onAuthFailure(result.reason, caller.presented)
        throw new OAuthError('invalid_client', 'the bearer token is invalid, expired or revoked')
      }
      if (!result.principal.scopes.has('tokens:introspect')) throw new OAuthError('insufficient_scope', 'the bearer token does not hold tokens:introspect')
      callerPrincipal = result.principal
      rc.principal = result.principal
    }
    const presented = requiredTokenParameter(form, 'token')
    const result = await authenticate(rc.domain, presented, authRequestOf(req, rc), 'introspected')
    if (!result.ok || !mayInspect(caller, callerPrincipal, result.principal)) return sendJson(res, 200, INACTIVE)
    const { token, app } = result.principal
    recordResourceServerUse(rc.domain, result.principal)
    const iat = Math.floor(token.createdAt / 1000)
    sendJson(res, 200, {
      active: true,
      scope: result.principal.held.join(' '),
      client_id: app.id,
      sub: token.subject ?? app.id,
      ...(token.expiresAt !== null ? { exp: Math.floor(token.expiresAt / 1000) } : {}),
      iat,
      nbf: iat,
      jti: token.id,
      iss: authority.issuer(),
      ...(token.kind === 'JWT' ? { aud: authority.audience() } : {}),
      token_type: 'Bearer',
      ...constraintMembers(result.principal),
    })
  })
}
