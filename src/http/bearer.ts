import type { IncomingHttpHeaders } from 'node:http'

/**
 * The credential of an `Authorization: Bearer` header (RFC 6750 §2.1; the scheme is
 * case-insensitive). `undefined`: no header. `null`: a header that is not a single bearer token.
 * Tokens in the query string (§2.3) are never read: they end up in logs and browser history.
 */
export function bearerToken(headers: IncomingHttpHeaders): string | null | undefined {
  const value = headers.authorization
  if (value === undefined) return undefined
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(value)
  return match ? (match[1] as string) : null
}
