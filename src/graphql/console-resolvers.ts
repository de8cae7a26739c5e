import { visibleApp } from '../domain/apps.js'
import { enableApp } from '../domain/enable-app.js'
import { revocationPreview } from '../domain/revocation-preview.js'
import { verifyAuditChain } from '../domain/verify-audit.js'
import { ScopewardError } from '../errors.js'
import { clientSecret } from './oauth-resolvers.js'
import { caller } from './context.js'
import type { Resolvers } from './types.generated.js'

/** Resolvers of schema/console.graphql: what the web console needs beyond the core API. */
export const consoleResolvers: Resolvers = {
  Query: {
    revocationPreview: (_p, args, ctx) => revocationPreview(ctx.domain, caller(ctx), args.id),
    auditChainStatus: async (_p, _a, ctx) => {
      if (!caller(ctx).app.isRoot) throw new ScopewardError('FORBIDDEN', 'only tokens of the root app can verify the whole audit chain')
      const verdict = await verifyAuditChain(ctx.domain.store)
      return verdict.ok ? { ok: true, events: verdict.events, firstBadEvent: null, problem: null } : { ok: false, events: verdict.events, firstBadEvent: verdict.seq, problem: verdict.problem }
    },
  },
  Mutation: {
    enableApp: (_p, args, ctx) => enableApp(ctx.domain, caller(ctx), ctx.request, args.id),
  },
  App: {
    clientCredentials: async (app, _a, ctx) => {
      await visibleApp(ctx.domain, caller(ctx), app.id)
      const secrets = await ctx.domain.store.listClientSecrets(app.id)
      return secrets.map(clientSecret)
    },
  },
  Token: {
    // The children the caller may see (the loader applies its boundary), one read per page.
    derivedTokens: (t, _a, ctx) => ctx.loaders.derivedTokens.load(t.id),
  },
}
