import type { TokenRecord, TokenStatus } from '../store/store.js'

/** REVOKED wins over EXPIRED: a revoked token is reported as revoked whatever its expiry. */
export function tokenStatus(token: TokenRecord, now: number): TokenStatus {
  if (token.revokedAt !== null) return 'REVOKED'
  if (token.expiresAt !== null && token.expiresAt <= now) return 'EXPIRED'
  return 'ACTIVE'
}
