import { listClientSecrets } from '../domain/client-secrets.js'
import { enableApp } from '../domain/enable-app.js'
import { dailyUsageOf } from '../domain/queries.js'
import { revocationPreview } from '../domain/revocation-preview.js'
import { auditChainStatus } from '../domain/verify-audit.js'
import { clientSecret } from './oauth-resolvers.js'
import { actorOf, callOf } from './context.js'
import type { Resolvers } from './types.generated.js'

/** Resolvers of schema/console.graphql: what the web console needs beyond the core API. */
export const consoleResolvers: Resolvers = {
  Query: {
    revocationPreview: (_p, args, ctx) => revocationPreview(ctx.domain, actorOf(ctx), args.id),
    auditChainStatus: async (_p, _a, ctx) => {
      const verdict = await auditChainStatus(ctx.domain, actorOf(ctx))
      return verdict.ok
        ? { ok: true, events: verdict.events, firstBadEvent: null, problem: null }
        : { ok: false, events: verdict.events, firstBadEvent: verdict.seq, problem: verdict.problem }
    },
  },
  Mutation: {
    enableApp: (_p, args, ctx) => enableApp(ctx.domain, callOf(ctx), args.id),
  },
  App: {
    clientCredentials: async (app, _a, ctx) => (await listClientSecrets(ctx.domain, actorOf(ctx), app.id)).map(clientSecret),
  },
  Token: {
    // The children the caller may see (the loader applies its boundary), one read per page.
    derivedTokens: (t, _a, ctx) => ctx.loaders.derivedTokens.load(t.id),
    description: (t) => t.description ?? null,
    usageByDay: async (t, args, ctx) => (await dailyUsageOf(ctx.domain, t, args.days ?? 30)).map(({ day, scope, count }) => ({ day, scope, count })),
  },
}
