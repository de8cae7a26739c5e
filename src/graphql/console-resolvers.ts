import { canSeeToken } from '../domain/context.js'
import { revocationPreview } from '../domain/revocation-preview.js'
import type { TokenRecord } from '../store/store.js'
import { caller } from './context.js'
import type { Resolvers } from './types.generated.js'

/** Resolvers of schema/console.graphql: what the web console needs beyond the core API. */
export const consoleResolvers: Resolvers = {
  Query: {
    revocationPreview: (_p, args, ctx) => revocationPreview(ctx.domain, caller(ctx), args.id),
  },
  Token: {
    derivedTokens: async (t, _a, ctx) => {
      const principal = caller(ctx)
      const family = await ctx.domain.store.listTokenFamily(t.id)
      const children = await Promise.all(family.filter((m) => m.parentId === t.id).map((m) => ctx.domain.store.getToken(m.id)))
      return children.filter((c): c is TokenRecord => c !== null && canSeeToken(principal, c)).sort((a, b) => a.createdAt - b.createdAt)
    },
  },
}
