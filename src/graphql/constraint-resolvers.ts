import { isoTimeOrNull } from '../iso-time.js'
import { formatDuration } from '../domain/duration.js'
import type { ConstraintSet, CreditRefill, TokenRecord } from '../domain/model.js'
import { tokenLimits } from '../domain/token-limits.js'
import { updateTokenConstraints } from '../domain/update-token-constraints.js'
import { callOf } from './context.js'
import type { Resolvers } from './types.generated.js'

const refillOut = (r: CreditRefill | null) => (r ? { amount: r.amount, interval: formatDuration(r.intervalMs) } : null)

const setOut = (set: ConstraintSet | null) =>
  set
    ? {
        allowedCidrs: set.allowedCidrs ?? null,
        rateLimit: set.rateLimit ? { limit: set.rateLimit.limit, window: formatDuration(set.rateLimit.windowMs) } : null,
        credits: set.credits ? { remaining: set.credits.remaining, refill: refillOut(set.credits.refill) } : null,
      }
    : null

/** Resolvers of schema/constraints.graphql: a token's constraints with their state now, an app's rules, and updateTokenConstraints. */
export const constraintResolvers: Resolvers = {
  Mutation: {
    updateTokenConstraints: (_p, { id, constraints }, ctx) => updateTokenConstraints(ctx.domain, callOf(ctx), id, constraints),
  },
  Token: {
    constraints: async (t: TokenRecord, _a, ctx) => {
      // A rotated token's link to its successor alone constrains nothing of its own.
      if (!t.constraints?.allowedCidrs && !t.constraints?.rateLimit && t.creditsRemaining === null) return null
      const state = await tokenLimits(ctx.domain, t)
      const c = t.constraints ?? {}
      return {
        allowedCidrs: c.allowedCidrs ?? null,
        rateLimit: c.rateLimit
          ? { limit: c.rateLimit.limit, window: formatDuration(c.rateLimit.windowMs), remaining: state.rateLimit?.remaining ?? null, reset: state.rateLimit?.reset ?? null }
          : null,
        credits:
          t.creditsRemaining !== null
            ? {
                remaining: state.credits?.remaining ?? t.creditsRemaining,
                refill: refillOut(c.credits?.refill ?? null),
                nextRefillAt: isoTimeOrNull(state.nextRefillAt),
              }
            : null,
      }
    },
  },
  App: {
    tokenConstraints: (a) => (a.tokenConstraints ? { defaults: setOut(a.tokenConstraints.defaults), maximum: setOut(a.tokenConstraints.maximum) } : null),
  },
}
