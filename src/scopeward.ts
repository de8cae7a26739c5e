import { ApolloServer } from '@apollo/server'
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled'
import type { GraphQLSchema } from 'graphql'
import type { Clock } from './clock.js'
import type { Config } from './config.js'
import { scopeAuthorizationPlugin } from './directives/index.js'
import { composeDomain } from './compose.js'
import type { AuthFailure } from './domain/authenticate.js'
import type { Domain } from './domain/context.js'
import type { UsageTracker } from './domain/usage-tracker.js'
import { buildScopewardSchema, buildUnguardedSchema } from './graphql/build-schema.js'
import type { GraphQLContext } from './graphql/context.js'
import { setDocumentPolicy } from './graphql/client-documents.js'
import { formatError } from './graphql/format-error.js'
import { createJitExecutor, jitGateway, type JitExecutor } from './graphql/jit-executor.js'
import { graphqlRoute } from './http/graphql-route.js'
import { healthz, readyz } from './http/health-routes.js'
import { oauthIntrospectRoute } from './http/oauth-introspect-route.js'
import { oauthRevokeRoute } from './http/oauth-revoke-route.js'
import { oauthTokenRoute } from './http/oauth-token-route.js'
import { verifyRoute } from './http/verify-route.js'
import { leaksRoute } from './http/leaks-route.js'
import { HttpServer } from './http/server.js'
import { deferSubscriptions } from './http/deferred-subscriptions.js'
import { TokenEventFeed } from './domain/token-event-feed.js'
import { metricsRoute } from './http/metrics-route.js'
import { MemoryRateLimiter } from './auth/rate-limiter.js'
import { abuseProtection } from './graphql/abuse-limits.js'
import { Metrics } from './metrics.js'
import { authorizationServerMetadataRoute, jwksRoute } from './http/well-known-routes.js'
import type { Logger } from './logger.js'
import type { Store } from './domain/ports.js'
import { join } from 'node:path'
import { consoleRoutes, redirectToConsole } from './http/console-route.js'
import { packageRoot } from './package-root.js'

export interface Scopeward {
  domain: Domain
  store: Store
  schema: GraphQLSchema
  http: HttpServer
  usage: UsageTracker
  /** Counts of refused authentications by reason since start. */
  authFailures: Map<AuthFailure, number>
  /** The graphql-jit executor behind /graphql (docs/executor.md); null with SCOPEWARD_EXECUTOR=graphql-js. */
  jit: JitExecutor | null
  close(): Promise<void>
}

/**
 * The server: the domain (src/compose.ts: store, caches, keys, usage), the schema, Apollo and the
 * HTTP routes. An empty database is initialised, and its root token returned once.
 * `directiveEngine: false` leaves the scope directives out: only for the benchmark's engine on ÷ off ratio.
 */
export async function createScopeward(config: Config, deps: { logger: Logger; clock?: Clock; directiveEngine?: boolean }): Promise<Scopeward & { rootToken: string | null }> {
  const composed = await composeDomain(config, { logger: deps.logger, clock: deps.clock, address: () => http.address })
  const { domain, store, usage, ring, authority, authFailures, rootToken } = composed
  const { catalogue, clock } = domain
  const engine = deps.directiveEngine ?? true
  const schemaOptions = {
    catalogue,
    publicScopeRequirements: config.publicScopeRequirements,
    onAuthorized: countOncePerRequest((ctx: GraphQLContext, used, required) => ctx.principal && usage.record(ctx.principal.token.id, used, required)),
  }
  // Over HTTP without the Subscription root; the WebSocket endpoint gets its own schema with it.
  const schema = engine ? buildScopewardSchema({ ...schemaOptions, subscriptions: false }) : buildUnguardedSchema()
  const metrics = config.metrics ? new Metrics(store, clock, domain.policies.maxTokenLifetimeMs) : undefined
  const limits = abuseProtection(config.limits, { blockFieldSuggestions: !config.introspection })
  // Documents that arrive inside arguments (requiredScopes, issueToken forOperations) meet the same limits as /graphql.
  setDocumentPolicy(schema, { limits: config.limits, validationRules: limits.validationRules, suggestions: config.introspection })
  // graphql-jit runs the operations by default (docs/executor.md); SCOPEWARD_EXECUTOR=graphql-js gives Apollo the schema to run itself.
  const jit = config.executor === 'jit' ? createJitExecutor(schema) : null
  const execution = jit ? { gateway: jitGateway(schema, jit) } : { schema }
  const apollo = new ApolloServer<GraphQLContext>({
    ...execution,
    plugins: [
      ...(engine ? [scopeAuthorizationPlugin()] : []),
      ...limits.plugins,
      ...(metrics ? [metrics.plugin()] : []),
      // Cache-control hints are unused here (responses are no-store) and the plugin costs ~27% of throughput (measured: bench/RESULTS.md).
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginLandingPageDisabled(),
    ],
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    allowBatchedHttpRequests: false,
    // Compact JSON: Apollo's default pretty-prints every response (3.4% of CPU on the list query, bench profile).
    stringifyResult: (value) => JSON.stringify(value),
    formatError: formatError(deps.logger, { suggestions: config.introspection }),
    includeStacktraceInErrorResponses: false,
    introspection: config.introspection,
    csrfPrevention: true,
    // Shutdown is ordered by `close()` (drain HTTP, then stop Apollo): Apollo's own SIGTERM handler would stop it under in-flight requests (500s).
    stopOnTerminationSignals: false,
    logger: deps.logger,
  })
  await apollo.start()

  const authFailureLimiter = new MemoryRateLimiter({ capacity: config.authFailuresPerMinute, perMinute: config.authFailuresPerMinute, maxKeys: 100_000 }, clock)
  const countAuthFailure = (reason: AuthFailure): void => {
    authFailures.set(reason, (authFailures.get(reason) ?? 0) + 1)
  }
  const http = new HttpServer({
    domain,
    logger: deps.logger,
    bodyLimitBytes: config.bodyLimitBytes,
    trustedProxies: config.trustedProxies,
    corsOrigins: config.corsOrigins,
    headersTimeoutMs: config.headersTimeoutMs,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
    authFailureLimiter,
    tokenLimiter: new MemoryRateLimiter({ capacity: config.tokenRequestsPerMinute, perMinute: config.tokenRequestsPerMinute, maxKeys: 100_000 }, clock),
    ...(metrics ? { metrics } : {}),
    // The server logs each refusal on the request's logger (request id, and the token id the credential names).
    onAuthFailure: countAuthFailure,
  })
  // GraphQL subscriptions over WebSocket on /graphql (docs/subscriptions.md), loaded on the first upgrade; never on the unguarded benchmark schema.
  const subscriptions = engine
    ? deferSubscriptions(
        http.nodeServer,
        () => ({
          domain,
          schema: buildScopewardSchema(schemaOptions),
          feed: new TokenEventFeed(store, { pollMs: config.subscriptions.pollMs, onError: (err) => deps.logger.error({ err }, 'token event feed read failed') }),
          logger: deps.logger,
          settings: config.subscriptions,
          validationRules: limits.validationRules,
          maxTokens: config.limits.maxTokens,
          maxQueryLength: config.limits.maxQueryLength,
          trustedProxies: config.trustedProxies,
          corsOrigins: config.corsOrigins,
          authFailureLimiter,
          onAuthFailure: countAuthFailure,
          formatError: formatError(deps.logger, { suggestions: config.introspection }),
          maxPayloadBytes: config.bodyLimitBytes,
        }),
        deps.logger,
      )
    : null
  const graphql = graphqlRoute(apollo, schema, config.limits.maxQueryLength)
  if (metrics) http.route('GET', '/metrics', metricsRoute(metrics))
  http.route('POST', '/graphql', graphql).route('GET', '/graphql', graphql).route('GET', '/healthz', healthz).route('GET', '/readyz', readyz)
  http
    .route('POST', '/oauth/token', oauthTokenRoute, { body: 'form' })
    .route('POST', '/oauth/introspect', oauthIntrospectRoute(authority), { body: 'form' })
    .route('POST', '/oauth/revoke', oauthRevokeRoute, { body: 'form' })
    .route('POST', '/v1/verify', verifyRoute(authority))
    .route('POST', '/v1/leaks', leaksRoute(config.leakReportKeys))
    .route('GET', '/.well-known/jwks.json', jwksRoute(ring))
    .route('GET', '/.well-known/oauth-authorization-server', authorizationServerMetadataRoute(authority))
  http.route('GET', '/', redirectToConsole).route('GET', '/console', redirectToConsole)
  for (const [path, route] of consoleRoutes(join(packageRoot(), 'dist', 'console'))) http.route('GET', path, route)

  return {
    domain,
    store,
    schema,
    http,
    usage,
    authFailures,
    jit,
    rootToken,
    async close() {
      await subscriptions?.close()
      await http.close()
      await apollo.stop()
      await composed.close()
    },
  }
}

/**
 * The engine reports each protected field it allows, so one request listing 20 tokens would count 20
 * uses of `tokens:read`. Usage counts requests (the console charts "requests per day"): each scope is
 * passed on once per request (per GraphQL context), the first time a field used or required it. A
 * subscription's context lives as long as the subscription and sees every event: each event counts,
 * so a token used only to listen keeps its scope's last use current (and is not trimmed of it).
 */
function countOncePerRequest(
  record: (ctx: GraphQLContext, used: readonly string[], required: readonly string[]) => void,
): (ctx: GraphQLContext, used: readonly string[], required: readonly string[]) => void {
  const counted = new WeakMap<GraphQLContext, { used: Set<string>; required: Set<string> }>()
  const fresh = (seen: Set<string>, scopes: readonly string[]): readonly string[] => {
    if (scopes.every((s) => seen.has(s))) return []
    const out = scopes.filter((s) => !seen.has(s))
    for (const s of out) seen.add(s)
    return out
  }
  return (ctx, used, required) => {
    if ('tokenEvents' in ctx) return record(ctx, used, required)
    let seen = counted.get(ctx)
    if (!seen) counted.set(ctx, (seen = { used: new Set(), required: new Set() }))
    const newUsed = fresh(seen.used, used)
    const newRequired = fresh(seen.required, required)
    if (newUsed.length > 0 || newRequired.length > 0) record(ctx, newUsed, newRequired)
  }
}
