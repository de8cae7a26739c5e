import type { IncomingMessage } from 'node:http'
import { authenticate } from '../domain/authenticate.js'
import type { AuthenticatedClient } from '../domain/client-secrets.js'
import type { Domain } from '../domain/context.js'
import type { Inspector } from '../domain/verify-token.js'
import { authenticateCaller } from './client-auth.js'
import { OAuthError } from './oauth-error.js'
import { authRequestOf, type RouteContext } from './route.js'

/** A client secret introspects only when its own ceiling and its app's both hold tokens:introspect, as a token would need to. */
function clientMayIntrospect(domain: Domain, client: AuthenticatedClient): boolean {
  return (
    client.secret.scopes !== null &&
    domain.catalogue.close(client.secret.scopes).has('tokens:introspect') &&
    domain.catalogue.close(client.app.allowedScopes).has('tokens:introspect')
  )
}

/**
 * Authenticates the caller of an endpoint that tells about other tokens (POST /oauth/introspect,
 * POST /v1/verify): an app by a client secret whose ceiling holds `tokens:introspect`, or a bearer
 * token holding `tokens:introspect` (RFC 7662 §2.1: unauthenticated callers could scan for tokens).
 * `form`: the OAuth form (client_secret_post); a JSON route passes an empty one (Basic or Bearer only).
 * Refusals: `invalid_client` 401 (nobody, or a bad credential, counted toward the address's throttle),
 * `insufficient_scope` 403.
 */
export async function authenticateIntrospector(req: IncomingMessage, rc: RouteContext, form: Map<string, string>, what: string): Promise<Inspector> {
  const caller = await authenticateCaller(rc.domain, req, form, { allowBearer: true })
  if (caller.kind === 'none') throw new OAuthError('invalid_client', `${what} requires client authentication or a bearer token holding tokens:introspect`)
  if (caller.kind === 'client') {
    if (!clientMayIntrospect(rc.domain, caller)) throw new OAuthError('insufficient_scope', 'the client secret does not allow tokens:introspect')
    return { kind: 'client', app: caller.app }
  }
  const result = await authenticate(rc.domain, caller.presented, authRequestOf(req, rc))
  if (!result.ok) {
    rc.onAuthFailure(result.reason, caller.presented)
    throw new OAuthError('invalid_client', 'the bearer token is invalid, expired or revoked')
  }
  if (!result.principal.scopes.has('tokens:introspect')) throw new OAuthError('insufficient_scope', 'the bearer token does not hold tokens:introspect')
  rc.principal = result.principal
  return { kind: 'token', principal: result.principal }
}
