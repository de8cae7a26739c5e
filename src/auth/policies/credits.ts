import { TokenLimitExceeded } from '../../errors.js'
import type { TokenRecord } from '../../domain/model.js'
import type { RequestPolicy } from '../policy.js'

/** What the credits policy needs of the store: the atomic spend (src/domain/ports.ts `spendCredit`) and a row, to follow a rotated token to its successor's balance. */
export interface CreditLedger {
  spendCredit(id: string, now: number, ancestors?: boolean): Promise<number | null>
  getToken(id: string): Promise<TokenRecord | null>
}

/**
 * A token with credits spends one per authenticated request (as a bearer, subject or actor token),
 * in one atomic statement (refill included); at zero, 429 USAGE_EXCEEDED with Retry-After when a
 * refill is due. Run last, after every check that can still refuse, so a refused request costs
 * nothing. Introspection reports the balance as of now without spending. A token without credits
 * costs nothing (the balance is on the row authentication already read). A derived token spends
 * one of each ancestor's credits with its own, all or none, so deriving never multiplies a budget.
 * A token rotated with a grace period spends from its successor's balance (`constraints.creditsFrom`).
 */
export function creditsPolicy(ledger: CreditLedger, clock: () => number): RequestPolicy {
  return {
    name: 'credits',
    async check({ token }, _request, use) {
      if (token.creditsRemaining === null || use === 'revoked') return null
      const now = clock()
      if (use === 'introspected') {
        const from = token.constraints?.creditsFrom ? await ledgerOf(ledger, token) : token
        return { limits: { credits: { remaining: creditsAt(from, now) ?? 0 } } }
      }
      const spent = await spend(ledger, token, now)
      if (spent.left === null) {
        const next = nextRefillAt(spent.from, now)
        throw new TokenLimitExceeded('USAGE_EXCEEDED', next === null ? null : Math.ceil((next - now) / 1000), null)
      }
      return { limits: { credits: { remaining: spent.left } } }
    },
  }
}

/**
 * Spends one credit from the token's balance or, when it has none left and was rotated, from its
 * successor's (and on down a chain of rotations). The rotation zeroes the old balance in the same
 * transaction that hands it over, so a spend that raced it fails on the old row and follows: every
 * credit is spent exactly once. Only a refused spend reads a row.
 */
async function spend(ledger: CreditLedger, token: TokenRecord, now: number): Promise<{ left: number | null; from: TokenRecord }> {
  let from = token
  let id = token.constraints?.creditsFrom ?? token.id
  const seen = new Set<string>()
  while (!seen.has(id)) {
    seen.add(id)
    // A successor keeps its predecessor's parent: the chain is the token's own until a row says otherwise.
    const left = await ledger.spendCredit(id, now, from.parentId !== null)
    if (left !== null) return { left, from }
    const row = await ledger.getToken(id)
    if (!row) break
    from = row
    if (!row.constraints?.creditsFrom) break
    id = row.constraints.creditsFrom
  }
  return { left: null, from }
}

/** The row whose balance a token spends: its own, or (rotated, in its grace) its successor's, or the end of a chain of them. */
export async function ledgerOf(ledger: CreditLedger, token: TokenRecord): Promise<TokenRecord> {
  let row = token
  const seen = new Set<string>([token.id])
  while (row.constraints?.creditsFrom && !seen.has(row.constraints.creditsFrom)) {
    seen.add(row.constraints.creditsFrom)
    const next = await ledger.getToken(row.constraints.creditsFrom)
    if (!next) break
    row = next
  }
  return row
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
