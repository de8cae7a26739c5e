import { ApolloServer } from '@apollo/server'
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled'
import type { GraphQLSchema } from 'graphql'
import { systemClock, type Clock } from './clock.js'
import type { Config } from './config.js'
import { scopeAuthorizationPlugin } from './directives/index.js'
import type { AuthFailure, JwtVerifier } from './domain/authenticate.js'
import { DEFAULT_POLICIES, type Domain, type Policies } from './domain/context.js'
import { initialize } from './domain/initialize.js'
import { ScopeCatalogue } from './domain/scope-catalogue.js'
import { UsageTracker } from './domain/usage-tracker.js'
import { ScopewardError } from './errors.js'
import { buildScopewardSchema } from './graphql/build-schema.js'
import type { GraphQLContext } from './graphql/context.js'
import { setDocumentPolicy } from './graphql/client-documents.js'
import { formatError } from './graphql/format-error.js'
import { graphqlRoute } from './http/graphql-route.js'
import { healthz, readyz } from './http/health-routes.js'
import { oauthIntrospectRoute } from './http/oauth-introspect-route.js'
import { oauthRevokeRoute } from './http/oauth-revoke-route.js'
import { oauthTokenRoute } from './http/oauth-token-route.js'
import { HttpServer } from './http/server.js'
import { metricsRoute } from './http/metrics-route.js'
import { RateLimiter } from './http/rate-limiter.js'
import { abuseProtection } from './graphql/abuse-limits.js'
import { Metrics } from './metrics.js'
import { authorizationServerMetadataRoute, jwksRoute } from './http/well-known-routes.js'
import type { Logger } from './logger.js'
import { openStore } from './store/open-store.js'
import type { Store } from './store/store.js'
import { keyRingFor } from './tokens/key-ring.js'
import { auditKeyOf } from './store/audit-hash.js'
import { masterKeyBytes } from './tokens/seal-private-key.js'
import { createJwtIssuer } from './tokens/sign-access-token.js'
import { createTokenAuthority } from './tokens/token-authority.js'
import { createJwtVerifier } from './tokens/verify-access-token.js'
import { join } from 'node:path'
import { consoleRoutes, redirectToConsole } from './http/console-route.js'
import { packageRoot } from './package-root.js'

export interface Scopeward {
  domain: Domain & { jwtVerifier?: JwtVerifier | undefined }
  store: Store
  schema: GraphQLSchema
  http: HttpServer
  usage: UsageTracker
  /** Counts of refused authentications by reason since start. */
  authFailures: Map<AuthFailure, number>
  close(): Promise<void>
}

/**
 * The composition root: opens and migrates the store, builds the domain, the schema, Apollo and
 * the HTTP routes. `initialize` creates the root app and token on an empty database.
 */
export async function createScopeward(config: Config, deps: { logger: Logger; clock?: Clock }): Promise<Scopeward & { rootToken: string | null }> {
  const clock = deps.clock ?? systemClock
  const masterKey = masterKeyBytes(config.masterKey)
  const store = await openStore(config.db, { auditKey: auditKeyOf(masterKey) })
  await store.migrate()
  const catalogue = new ScopeCatalogue(store)
  const policies: Policies = { ...DEFAULT_POLICIES, maxTokenLifetimeMs: config.maxTokenLifetimeMs, maxJwtLifetimeMs: config.maxJwtLifetimeMs }
  const domain: Scopeward['domain'] = { store, catalogue, clock, policies }
  let rootToken: string | null = null
  if ((await store.getMeta('initialized_at')) === null) {
    try {
      rootToken = (await initialize(domain)).rootToken
    } catch (error) {
      // Another instance on the same PostgreSQL initialised it first: join, without a root token of our own.
      if (!(error instanceof ScopewardError && error.code === 'CONFLICT')) throw error
    }
  }
  await catalogue.refresh()

  // JWT access tokens: the key ring (first key made on an empty store), the issuer and the verifier.
  const ring = keyRingFor(domain, config, masterKey)
  try {
    await ring.refresh()
  } catch (error) {
    // A key that cannot be opened (wrong or missing master key) stops the start; the store is not left open.
    await store.close()
    throw error
  }
  // Besides notifications, a periodic re-read: it bounds staleness while notifications are lost (LISTEN down, or SQLite written by another process).
  ring.start(config.cacheRefreshMs, (err) => deps.logger.error({ err }, 'signing key refresh failed'))
  const catalogueTimer = setInterval(() => catalogue.refresh().catch((err: unknown) => deps.logger.error({ err }, 'scope catalogue refresh failed')), config.cacheRefreshMs)
  catalogueTimer.unref()
  // Caches follow changes made here and (PostgreSQL) on other instances; 'all' means notifications were lost.
  store.subscribe((change) => {
    if (change.kind === 'scopes' || change.kind === 'all') catalogue.refresh().catch((err: unknown) => deps.logger.error({ err, change }, 'scope catalogue refresh failed'))
    if (change.kind === 'keys' || change.kind === 'all') ring.refresh().catch((err: unknown) => deps.logger.error({ err, change }, 'signing key refresh failed'))
  })
  const authority = createTokenAuthority(config.issuer, config.host, () => http.address)
  domain.keys = ring
  domain.jwt = createJwtIssuer(ring, authority)
  domain.jwtVerifier = createJwtVerifier(ring, authority)

  const usage = new UsageTracker(store, clock, { flushIntervalMs: config.usageFlushMs, maxEntries: 50_000, onError: (err) => deps.logger.error({ err }, 'usage flush failed') })
  await usage.start()
  domain.usage = usage
  const schema = buildScopewardSchema({ catalogue, publicScopeRequirements: config.publicScopeRequirements, onAuthorized: (ctx, used, required) => ctx.principal && usage.record(ctx.principal.token.id, used, required) })
  const metrics = config.metrics ? new Metrics(store, clock) : undefined
  const limits = abuseProtection(config.limits, { blockFieldSuggestions: !config.introspection })
  // Documents that arrive inside arguments (requiredScopes, issueToken forOperations) meet the same limits as /graphql.
  setDocumentPolicy(schema, { limits: config.limits, validationRules: limits.validationRules, suggestions: config.introspection })
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    plugins: [
      scopeAuthorizationPlugin(),
      ...limits.plugins,
      ...(metrics ? [metrics.plugin()] : []),
      // Cache-control hints are unused here (responses are no-store) and the plugin costs ~27% of throughput (perf-anchors.md).
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

  const authFailures = new Map<AuthFailure, number>()
  domain.authFailures = authFailures
  const http = new HttpServer({
    domain,
    logger: deps.logger,
    bodyLimitBytes: config.bodyLimitBytes,
    trustedProxies: config.trustedProxies,
    corsOrigins: config.corsOrigins,
    headersTimeoutMs: config.headersTimeoutMs,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
    authFailureLimiter: new RateLimiter({ capacity: config.authFailuresPerMinute, perMinute: config.authFailuresPerMinute, maxKeys: 100_000 }, clock),
    tokenLimiter: new RateLimiter({ capacity: config.tokenRequestsPerMinute, perMinute: config.tokenRequestsPerMinute, maxKeys: 100_000 }, clock),
    ...(metrics ? { metrics } : {}),
    // The server logs each refusal on the request's logger (request id, and the token id the credential names).
    onAuthFailure: (reason) => {
      authFailures.set(reason, (authFailures.get(reason) ?? 0) + 1)
    },
  })
  const graphql = graphqlRoute(apollo, schema, config.limits.maxQueryLength)
  if (metrics) http.route('GET', '/metrics', metricsRoute(metrics))
  http.route('POST', '/graphql', graphql).route('GET', '/graphql', graphql).route('GET', '/healthz', healthz).route('GET', '/readyz', readyz)
  http
    .route('POST', '/oauth/token', oauthTokenRoute, { body: 'form' })
    .route('POST', '/oauth/introspect', oauthIntrospectRoute(authority), { body: 'form' })
    .route('POST', '/oauth/revoke', oauthRevokeRoute, { body: 'form' })
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
    rootToken,
    async close() {
      await http.close()
      ring.stop()
      clearInterval(catalogueTimer)
      await apollo.stop()
      await usage.stop()
      await store.close()
    },
  }
}
