import type { AppRecord } from '../store/store.js'
import type { Domain, RequestInfo } from './context.js'
import { resolveExpiry } from './expiry.js'
import { checkRequestedScopes } from './grant.js'
import { createToken, type IssuedToken } from './issue-token.js'

/**
 * RFC 6749 §4.4 client_credentials: a JWT access token for an authenticated app, with the scopes it
 * asked for (within the app's ceiling) and the default JWT lifetime. No token issued it: `createdBy` is null.
 */
export async function issueClientCredentialsToken(domain: Domain, app: AppRecord, request: RequestInfo, scopes: readonly string[]): Promise<IssuedToken> {
  // The app's ceiling is the only limit: the client authenticated as the app itself, so no issuing token narrows it.
  const granted = checkRequestedScopes(domain, null, app, scopes, 'scope')
  const expiresAt = resolveExpiry(domain, { app, kind: 'JWT' })
  return createToken(domain, null, request, { app, subject: null, name: 'client_credentials', kind: 'JWT', scopes: granted, expiresAt, parentId: null }, 'token.client_credentials')
}
