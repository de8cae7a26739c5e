import type { Verification } from './create-verifier.js'

/** RFC 6750 §2.1 b64token after a case-insensitive scheme. */
const BEARER_RE = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

/** The token of an `Authorization: Bearer` header; null when there is none or it is not one bearer token. */
export function bearerToken(authorization: string | string[] | undefined): string | null {
  if (typeof authorization !== 'string') return null
  return BEARER_RE.exec(authorization)?.[1] ?? null
}

/** The HTTP refusal a resource server answers (RFC 6750 §3): status, headers and a JSON body. */
export interface Refusal {
  status: number
  headers: Record<string, string>
  body: { error: string; error_description: string }
}

/**
 * How a verification (or its absence) is refused, or null when the request may go on: no token
 * 401 with a bare challenge, an invalid one 401 `invalid_token`, missing scopes 403
 * `insufficient_scope` naming them, a spent rate limit 429 with Retry-After.
 */
export function refusalOf(verification: Verification | null): Refusal | null {
  if (verification === null) return { status: 401, headers: { 'www-authenticate': 'Bearer' }, body: { error: 'invalid_request', error_description: 'a bearer token is required' } }
  if (verification.valid) return null
  if (verification.code === 'INSUFFICIENT_SCOPE') {
    const scope = verification.missingScopes.join(' ')
    return {
      status: 403,
      headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"` },
      body: { error: 'insufficient_scope', error_description: `the token lacks ${scope}` },
    }
  }
  if (verification.code === 'RATE_LIMITED')
    return { status: 429, headers: { 'retry-after': String(verification.retryAfter ?? 1) }, body: { error: 'rate_limited', error_description: 'too many requests for this token' } }
  return {
    status: 401,
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    body: { error: 'invalid_token', error_description: `the token is not valid (${verification.code})` },
  }
}

/** Scopeward did not answer: the request is refused (fail closed), never let through. */
export const UNAVAILABLE: Refusal = {
  status: 503,
  headers: { 'retry-after': '1' },
  body: { error: 'temporarily_unavailable', error_description: 'the token could not be verified' },
}

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) as the IPv4 address it is. */
export function unmapped(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}
