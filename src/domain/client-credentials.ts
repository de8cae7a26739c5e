import { ScopewardError } from '../errors.js'
import type { Call, ClientActor } from './actor.js'
import { clientSecretScopes, type AuthenticatedClient } from './client-secrets.js'
import type { Domain, RequestInfo } from './context.js'
import { resolveExpiry } from './expiry.js'
import { checkScopesWithin } from './grant.js'
import { createToken, type IssuedToken } from './issue-token.js'
import { retryStale } from './write-guard.js'

/**
 * RFC 6749 §4.4 client_credentials: a JWT access token for an authenticated app, with the scopes it
 * asked for and the default JWT lifetime. The scopes must lie within the secret's own ceiling and the
 * app's current one: a secret never grants more than its creator could. The secret is recorded as the
 * token's creator and the audit actor; the write re-checks that it is still unrevoked (callerGuard).
 */
export async function issueClientCredentialsToken(
  domain: Domain,
  client: AuthenticatedClient,
  request: RequestInfo,
  scopes: readonly string[],
  audiences: readonly string[] | null = null,
): Promise<IssuedToken> {
  const { secret } = client
  const call: Call<ClientActor> = { actor: { kind: 'client', secretId: secret.id, appId: client.app.id }, request }
  return retryStale(async () => {
    // Read afresh on every attempt: the write re-checks this copy (and the secret) in its transaction.
    const app = await domain.store.getApp(client.app.id)
    if (!app || app.disabledAt !== null) throw new ScopewardError('UNAUTHENTICATED', 'client authentication failed')
    const granted = checkScopesWithin(domain, clientSecretScopes(domain, secret), 'the client secret does not allow', app, scopes, 'scope')
    const expiresAt = resolveExpiry(domain, { app, kind: 'JWT' })
    const spec = { app, subject: null, name: 'client_credentials', kind: 'JWT' as const, scopes: granted, expiresAt, parentId: null, audiences }
    return createToken(domain, call, spec, 'token.client_credentials')
  })
}
