import { ScopewardError } from '../errors.js'
import type { AppRecord } from '../store/store.js'
import type { Domain, RequestInfo } from './context.js'
import { resolveExpiry } from './expiry.js'
import { checkRequestedScopes } from './grant.js'
import { createToken, type IssuedToken } from './issue-token.js'
import { activeClientSecret, retryStale } from './write-guard.js'

/**
 * RFC 6749 §4.4 client_credentials: a JWT access token for an authenticated app, with the scopes it
 * asked for (within the app's ceiling) and the default JWT lifetime. No token issued it: `createdBy` is null.
 */
export async function issueClientCredentialsToken(domain: Domain, client: { app: AppRecord; secretId: string }, request: RequestInfo, scopes: readonly string[]): Promise<IssuedToken> {
  return retryStale(async () => {
    // Read afresh on every attempt: the write re-checks this copy (and the secret) in its transaction.
    const app = await domain.store.getApp(client.app.id)
    if (!app || app.disabledAt !== null) throw new ScopewardError('UNAUTHENTICATED', 'client authentication failed')
    // The app's ceiling is the only limit: the client authenticated as the app itself, so no issuing token narrows it.
    const granted = checkRequestedScopes(domain, null, app, scopes, 'scope')
    const expiresAt = resolveExpiry(domain, { app, kind: 'JWT' })
    const spec = { app, subject: null, name: 'client_credentials', kind: 'JWT' as const, scopes: granted, expiresAt, parentId: null }
    return createToken(domain, null, request, spec, 'token.client_credentials', activeClientSecret(client.secretId))
  })
}
