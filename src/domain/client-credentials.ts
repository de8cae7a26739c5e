import { ScopewardError } from '../errors.js'
import { clientSecretActor, clientSecretScopes, type AuthenticatedClient } from './client-secrets.js'
import type { Domain, RequestInfo } from './context.js'
import { resolveExpiry } from './expiry.js'
import { checkScopesWithin } from './grant.js'
import { createToken, type IssuedToken } from './issue-token.js'
import { activeClientSecret, retryStale } from './write-guard.js'

/**
 * RFC 6749 §4.4 client_credentials: a JWT access token for an authenticated app, with the scopes it
 * asked for and the default JWT lifetime. The scopes must lie within the secret's own ceiling and the
 * app's current one: a secret never grants more than its creator could. The secret is recorded as the
 * token's creator and the audit actor.
 */
export async function issueClientCredentialsToken(domain: Domain, client: AuthenticatedClient, request: RequestInfo, scopes: readonly string[]): Promise<IssuedToken> {
  const { secret } = client
  return retryStale(async () => {
    // Read afresh on every attempt: the write re-checks this copy (and the secret) in its transaction.
    const app = await domain.store.getApp(client.app.id)
    if (!app || app.disabledAt !== null) throw new ScopewardError('UNAUTHENTICATED', 'client authentication failed')
    const granted = checkScopesWithin(domain, clientSecretScopes(domain, secret), 'the client secret does not allow', app, scopes, 'scope')
    const expiresAt = resolveExpiry(domain, { app, kind: 'JWT' })
    const spec = { app, subject: null, name: 'client_credentials', kind: 'JWT' as const, scopes: granted, expiresAt, parentId: null, actor: clientSecretActor(secret.id) }
    return createToken(domain, null, request, spec, 'token.client_credentials', activeClientSecret(secret.id))
  })
}
