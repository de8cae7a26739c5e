import type { TokenPolicy } from '../policy.js'

/**
 * Policy 3, status: a revoked token is refused (`revoked`), whatever its expiry. Revocation of a
 * parent is cascaded when written, so the row alone answers for the token itself.
 */
export const checkStatus: TokenPolicy = (token) => (token.revokedAt !== null ? 'revoked' : null)
