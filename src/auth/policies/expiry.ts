import type { TokenPolicy } from '../policy.js'

/**
 * Policy 4, expiry: the token's own end and the instance's caps (`expired`). Its `expiresAt`; the
 * instance-wide lifetime policy, counted from creation, so lowering it reaches tokens already
 * issued; and the JWT cap, so a JWT issued before it was lowered stops at its next request.
 */
export const checkExpiry: TokenPolicy = (token, now, limits) => {
  if (token.expiresAt !== null && token.expiresAt <= now) return 'expired'
  if (limits.maxTokenLifetimeMs !== null && now - token.createdAt > limits.maxTokenLifetimeMs) return 'expired'
  if (token.kind === 'JWT' && now - token.createdAt > limits.maxJwtLifetimeMs) return 'expired'
  return null
}
