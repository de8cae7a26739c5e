import type { IncomingMessage, ServerResponse } from 'node:http'
import type { KeyRing } from '../tokens/key-ring.js'
import type { TokenAuthority } from '../tokens/token-authority.js'
import { sendJson } from './respond.js'
import type { RouteContext } from './route.js'
import { GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE } from './oauth-token-route.js'

/** Public documents: caching is safe and spares resource servers a round trip per token (jose caches the JWKS for 10 minutes). */
const PUBLIC_CACHE = { 'cache-control': 'public, max-age=300' }

/** GET /.well-known/jwks.json: the public halves of the ACTIVE and RETIRING keys, nothing else. */
export function jwksRoute(ring: KeyRing) {
  return (_req: IncomingMessage, res: ServerResponse): void => {
    sendJson(res, 200, { keys: ring.jwks() }, PUBLIC_CACHE)
  }
}

/**
 * GET /.well-known/oauth-authorization-server (RFC 8414). `response_types_supported` is REQUIRED
 * and lists what the authorization endpoint supports; there is none (no user-facing flows), so it
 * is empty rather than claiming `code` or `token`.
 */
export function authorizationServerMetadataRoute(authority: TokenAuthority) {
  return (_req: IncomingMessage, res: ServerResponse, rc: RouteContext): void => {
    const issuer = authority.issuer()
    const clientAuth = ['client_secret_basic', 'client_secret_post']
    sendJson(
      res,
      200,
      {
        issuer,
        token_endpoint: `${issuer}/oauth/token`,
        introspection_endpoint: `${issuer}/oauth/introspect`,
        revocation_endpoint: `${issuer}/oauth/revoke`,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        grant_types_supported: [GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE],
        response_types_supported: [],
        token_endpoint_auth_methods_supported: clientAuth,
        // A bearer token holding tokens:introspect is accepted as well; no registered method name says so.
        introspection_endpoint_auth_methods_supported: clientAuth,
        revocation_endpoint_auth_methods_supported: [...clientAuth, 'none'],
        scopes_supported: rc.domain.catalogue.all.map((s) => s.name),
      },
      PUBLIC_CACHE,
    )
  }
}
