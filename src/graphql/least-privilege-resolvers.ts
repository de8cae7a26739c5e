import { isoTime } from '../iso-time.js'
import { revokeTokens } from '../domain/bulk-revoke.js'
import { parseDuration } from '../domain/duration.js'
import { encodeCursor } from '../domain/pagination.js'
import { listTokens } from '../domain/queries.js'
import { trimToken } from '../domain/trim-token.js'
import { overPermissionedTokens, suggestedScopes, unusedSince } from '../domain/usage-report.js'
import { actorOf, callOf } from './context.js'
import type { Resolvers } from './types.generated.js'

const gapOut = (g: { from: number; to: number }) => ({ from: isoTime(g.from), to: isoTime(g.to) })

/** Resolvers of schema/least-privilege.graphql: usage reports, trimming, lifetime reports, bulk revocation. */
export const leastPrivilegeResolvers: Resolvers = {
  Query: {
    overPermissionedTokens: (_p, args, ctx) => overPermissionedTokens(ctx.domain, actorOf(ctx), args),
    expiringTokens: async (_p, args, ctx) => {
      const expiresBefore = ctx.domain.clock() + parseDuration(args.within, 'within')
      const page = await listTokens(ctx.domain, actorOf(ctx), { status: 'ACTIVE', sort: 'EXPIRES', first: args.first, after: args.after }, { expiresBefore })
      return page
    },
    neverExpiringTokens: async (_p, args, ctx) => {
      const page = await listTokens(ctx.domain, actorOf(ctx), { status: 'ACTIVE', first: args.first, after: args.after }, { neverExpires: true })
      return { ...page, cursorOf: encodeCursor }
    },
    authenticationFailures: (_p, _a, ctx) => [...ctx.domain.authFailures].map(([reason, count]) => ({ reason, count })),
  },
  Mutation: {
    trimToken: (_p, args, ctx) => trimToken(ctx.domain, callOf(ctx), args),
    revokeTokens: (_p, args, ctx) => revokeTokens(ctx.domain, callOf(ctx), args),
  },
  OverPermissionedTokenConnection: {
    edges: (page) => page.rows.map((node) => ({ cursor: encodeCursor(node.token), node })),
    pageInfo: (page) => ({ hasNextPage: page.hasNextPage, endCursor: page.endCursor }),
    usageGaps: (page) => page.usageGaps.map(gapOut),
  },
  TrimResult: {
    usageGaps: (r) => r.usageGaps.map(gapOut),
  },
  BulkRevocation: {
    matched: (r) => r.tokens,
  },
  Token: {
    scopeUsage: async (t, _a, ctx) => (await ctx.loaders.usage.load(t.id)).map((u) => ({ scope: u.scope, count: u.count, lastUsedAt: isoTime(u.lastUsedAt) })),
    neverExpires: (t) => t.expiresAt === null,
    suggestedScopes: async (t, args, ctx) => {
      const since = args.since != null ? ctx.domain.clock() - parseDuration(args.since, 'since') : 0
      return suggestedScopes(ctx.domain, t, await ctx.loaders.needs.load(t.id), since)
    },
    unusedScopes: async (t, args, ctx) => {
      const since = args.since != null ? ctx.domain.clock() - parseDuration(args.since, 'since') : 0
      return unusedSince(t, await ctx.loaders.usage.load(t.id), since)
    },
  },
}
