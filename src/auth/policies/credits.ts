import { TokenLimitExceeded } from '../../errors.js'
import type { TokenRecord } from '../../domain/model.js'
import type { RequestPolicy } from '../policy.js'

/** What the credits policy needs of the store: the atomic spend (src/domain/ports.ts `spendCredit`). */
export interface CreditLedger {
  spendCredit(id: string, now: number): Promise<number | null>
}

/**
 * A token with credits spends one per authenticated request (as a bearer, subject or actor token),
 * in one atomic statement (refill included); at zero, 429 USAGE_EXCEEDED with Retry-After when a
 * refill is due. Run last, after every check that can still refuse, so a refused request costs
 * nothing. Introspection reports the balance as of now without spending. A token without credits
 * costs nothing (the balance is on the row authentication already read).
 */
export function creditsPolicy(ledger: CreditLedger, clock: () => number): RequestPolicy {
  return {
    name: 'credits',
    async check({ token }, _request, use) {
      if (token.creditsRemaining === null || use === 'revoked') return null
      const now = clock()
      if (use === 'introspected') return { limits: { credits: { remaining: creditsAt(token, now) ?? 0 } } }
      const left = await ledger.spendCredit(token.id, now)
      if (left === null) {
        const next = nextRefillAt(token, now)
        throw new TokenLimitExceeded('USAGE_EXCEEDED', next === null ? null : Math.ceil((next - now) / 1000), null)
      }
      return { limits: { credits: { remaining: left } } }
    },
  }
}

/** The token's balance at `now`, a due refill counted (as the spend statement computes it); null: it spends no credits. */
export function creditsAt(token: TokenRecord, now: number): number | null {
  if (token.creditsRemaining === null) return null
  const refill = token.constraints?.credits?.refill
  if (!refill || token.creditsRefilledAt === null || now < token.creditsRefilledAt + refill.intervalMs) return token.creditsRemaining
  return Math.max(token.creditsRemaining, refill.amount)
}

/** When the next refill after `now` is due, or null without a refill. */
export function nextRefillAt(token: TokenRecord, now: number): number | null {
  const refill = token.constraints?.credits?.refill
  if (!refill || token.creditsRefilledAt === null) return null
  return token.creditsRefilledAt + (Math.max(0, Math.floor((now - token.creditsRefilledAt) / refill.intervalMs)) + 1) * refill.intervalMs
}
