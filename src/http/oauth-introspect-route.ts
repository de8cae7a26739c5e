import type { IncomingMessage, ServerResponse } from 'node:http'
import { authenticate } from '../domain/authenticate.js'
import { inspectorMaySee } from '../domain/verify-token.js'
import { recordResourceServerUse } from '../domain/usage-tracker.js'
import { requiredTokenParameter } from '../auth/credentials.js'
import { authenticateIntrospector } from './introspector-auth.js'
import { withOAuthErrors } from './oauth-error.js'
import { readForm } from './read-form.js'
import { sendJson } from './respond.js'
import { authRequestOf, type RouteContext } from './route.js'
import type { TokenAuthority } from '../tokens/token-authority.js'
import type { Principal } from '../domain/context.js'

const INACTIVE = { active: false } as const

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
    const inspector = await authenticateIntrospector(req, rc, form, 'introspection')
    const presented = requiredTokenParameter(form, 'token')
    const result = await authenticate(rc.domain, presented, authRequestOf(req, rc), 'introspected')
    if (!result.ok || !inspectorMaySee(inspector, result.principal.token)) return sendJson(res, 200, INACTIVE)
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
      ...(token.kind === 'JWT' ? { aud: token.audiences ?? authority.audience() } : {}),
      token_type: 'Bearer',
      ...constraintMembers(result.principal),
    })
  })
}
