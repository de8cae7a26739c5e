import { ledgerOf, nextRefillAt } from '../auth/policies/credits.js'
import { localRequest } from '../auth/request.js'
import type { Domain } from './context.js'
import type { TokenLimits, TokenRecord } from './model.js'

/**
 * The state of a token's rate limit and credits now, spending nothing: the request policies asked
 * as for an introspected token (the same code that enforces them reports them). `nextRefillAt`:
 * when the next credit refill is due (of the successor's balance, for a rotated token in its grace), or null.
 */
export async function tokenLimits(domain: Domain, token: TokenRecord): Promise<TokenLimits & { nextRefillAt: number | null }> {
  const app = await domain.store.getApp(token.appId)
  let limits: TokenLimits = {}
  if (app) {
    for (const policy of domain.requestPolicies) {
      const outcome = await policy.check({ token, app }, localRequest('/graphql'), 'introspected')
      if (outcome !== null && typeof outcome === 'object') limits = { ...limits, ...outcome.limits }
    }
  }
  // A rotated token in its grace spends its successor's balance: that balance's refill is the one due.
  const balance = token.constraints?.creditsFrom ? await ledgerOf(domain.store, token) : token
  return { ...limits, nextRefillAt: nextRefillAt(balance, domain.clock()) }
}
