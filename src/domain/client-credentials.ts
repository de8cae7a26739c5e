import { clientSecretActor, clientSecretScopes, type AuthenticatedClient } from './client-secrets.js'
import type { Domain, RequestInfo } from './context.js'
import { resolveExpiry } from './expiry.js'
import { checkScopesWithin } from './grant.js'
import { createToken, type IssuedToken } from './issue-token.js'

/**
 * RFC 6749 §4.4 client_credentials: a JWT access token for an authenticated app, with the scopes it
 * asked for and the default JWT lifetime. The scopes must lie within the secret's own ceiling and the
 * app's current one: a secret never grants more than its creator could. The secret is recorded as the
 * token's creator and the audit actor.
 */
export async function issueClientCredentialsToken(domain: Domain, client: AuthenticatedClient, request: RequestInfo, scopes: readonly string[]): Promise<IssuedToken> {
  const { app, secret } = client
  const granted = checkScopesWithin(domain, clientSecretScopes(domain, secret), 'the client secret does not allow', app, scopes, 'scope')
  const expiresAt = resolveExpiry(domain, { app, kind: 'JWT' })
  return createToken(domain, null, request, { app, subject: null, name: 'client_credentials', kind: 'JWT', scopes: granted, expiresAt, parentId: null, actor: clientSecretActor(secret.id) }, 'token.client_credentials')
}
