import { checkUsable, type AuthResult } from './authenticate.js'
import type { Domain } from './context.js'

/**
 * Authenticates again a token that was authenticated earlier (a long-lived connection's), from its
 * row as it is now: revoked, expired, its app disabled, an ancestor gone, or its scopes narrowed
 * (trimmed, or its app's ceiling lowered) show in the answer. The secret is not checked again: it
 * was, when the connection opened. Request policies are not run again either: they judge a request,
 * and a connection makes none after its first.
 */
export async function recheckPrincipal(domain: Domain, tokenId: string): Promise<AuthResult> {
  const token = await domain.store.getToken(tokenId)
  if (!token) return { ok: false, reason: 'unknown' }
  return checkUsable(domain, token)
}
