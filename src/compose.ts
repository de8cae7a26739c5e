// The composition root of the domain: every dependency of `Domain` is built here, once, and never
// changed after. The server (src/scopeward.ts), the command line (src/cli/open-domain.ts) and the
// benchmark (bench/) all start from here instead of assembling parts of it.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { AddressInfo } from 'node:net'
import { systemClock, type Clock } from './clock.js'
import type { Config } from './config.js'
import { operatorCall } from './domain/actor.js'
import type { AuthFailure } from './domain/authenticate.js'
import { DEFAULT_POLICIES, type Domain, type Policies } from './domain/context.js'
import { NO_JWT_ISSUER, NO_JWT_VERIFIER, NO_SIGNING_KEYS } from './domain/disabled-features.js'
import { createOpaqueFormat } from './tokens/opaque-token.js'
import { initialize } from './domain/initialize.js'
import { ScopeCatalogue } from './domain/scope-catalogue.js'
import { commandUsage, UsageTracker } from './domain/usage-tracker.js'
import { ScopewardError } from './errors.js'
import { creditsPolicy } from './auth/policies/credits.js'
import { ipAllowlist } from './auth/policies/ip-allowlist.js'
import { rateLimitPolicy } from './auth/policies/rate-limit.js'
import type { TokenRateLimiter } from './auth/token-rate-limiter.js'
import type { Logger } from './logger.js'
import { redactSecrets } from './text.js'
import { auditKeyOf } from './domain/audit-hash.js'
import { displayDb, openStore } from './store/open-store.js'

export { displayDb }
import type { Store } from './domain/ports.js'
import { keyRingFor, type KeyRing } from './tokens/key-ring.js'
import { masterKeyBytes } from './tokens/seal-private-key.js'
import { createJwtIssuer } from './tokens/sign-access-token.js'
import { createTokenAuthority, type TokenAuthority } from './tokens/token-authority.js'
import { createJwtVerifier } from './tokens/verify-access-token.js'
import { WebhookDispatcher } from './webhooks/dispatcher.js'
import { ExpirySweeper } from './webhooks/expiry-sweeper.js'

/** A serving domain and what the server around it wires to it (the key ring for the JWKS, the authority for metadata). */
export interface ServingDomain {
  readonly domain: Domain
  readonly store: Store
  readonly usage: UsageTracker
  readonly ring: KeyRing
  readonly authority: TokenAuthority
  /** Refused authentications by reason: counted by the HTTP layer, read through `domain.authFailures`. */
  readonly authFailures: Map<AuthFailure, number>
  /** The root token, when this start initialised an empty database (shown once); else null. */
  readonly rootToken: string | null
  /** Stops the timers, flushes usage and closes the store. */
  close(): Promise<void>
}

function policiesOf(config: Config): Policies {
  return { ...DEFAULT_POLICIES, maxTokenLifetimeMs: config.maxTokenLifetimeMs, maxJwtLifetimeMs: config.maxJwtLifetimeMs }
}

/**
 * The domain of a server: opens and migrates the store, initialises an empty database (audited as
 * the operator who started the server), loads the signing keys, and starts what keeps the caches
 * fresh and the usage written. `address` names the listening socket for the default JWT issuer.
 */
export async function composeDomain(config: Config, deps: { logger: Logger; clock?: Clock | undefined; address: () => AddressInfo | null }): Promise<ServingDomain> {
  const clock = deps.clock ?? systemClock
  const masterKey = masterKeyBytes(config.masterKey)
  const store = await openStore(config.db, { auditKey: auditKeyOf(masterKey) })
  await store.migrate()
  const upkeep = operatorCall()
  const catalogue = new ScopeCatalogue(store)
  const policies = policiesOf(config)
  // JWT access tokens: the key ring (first key made on an empty store), the issuer and the verifier.
  const ring = keyRingFor({ store, clock, policies }, config, masterKey, upkeep)
  const authority = createTokenAuthority(config.issuer, config.host, deps.address)
  const usage = new UsageTracker(store, clock, { flushIntervalMs: config.usageFlushMs, maxEntries: 50_000, onError: (err) => deps.logger.error({ err }, 'usage flush failed') })
  const authFailures = new Map<AuthFailure, number>()
  const rateLimiter = await tokenRateLimiterFor(config, deps.logger)
  // Frozen: no member is swapped or filled in after composition.
  const domain: Domain = Object.freeze({
    store,
    catalogue,
    clock,
    policies,
    usage,
    authFailures,
    jwt: createJwtIssuer(ring, authority),
    jwtVerifier: createJwtVerifier(ring, authority),
    // Issue 15, in this order (src/auth/policy.ts): the allowlist, the rate limit, then credits last so a refused request costs none.
    requestPolicies: [ipAllowlist, rateLimitPolicy(rateLimiter), creditsPolicy(store, clock)],
    keys: ring,
    webhooks: { allowHttp: config.webhooks.allowHttp, masterKey },
    tokenFormat: createOpaqueFormat(config.tokenPrefix),
  })
  let rootToken: string | null = null
  if ((await store.getMeta('initialized_at')) === null) {
    try {
      rootToken = (await initialize(domain, upkeep)).rootToken
    } catch (error) {
      // Another instance on the same PostgreSQL initialised it first: join, without a root token of our own.
      if (!(error instanceof ScopewardError && error.code === 'CONFLICT')) throw error
    }
  }
  await catalogue.refresh()
  try {
    await ring.refresh()
  } catch (error) {
    // A key that cannot be opened (wrong or missing master key) stops the start; the store (and a Redis client) are not left open.
    await rateLimiter.close()
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
  await usage.start()
  // Webhooks: deliveries are rows, so what a previous process left (or another instance) is picked up here.
  const dispatcher = new WebhookDispatcher(domain, config.webhooks, deps.logger)
  const sweeper = new ExpirySweeper(domain, config.webhooks, deps.logger)
  if (config.webhooks.deliver) dispatcher.start()
  else deps.logger.warn('webhook delivery is off on this instance (SCOPEWARD_WEBHOOK_DELIVER=false): it records webhook events, and only an instance that delivers sends them')
  sweeper.start()
  return {
    domain,
    store,
    usage,
    ring,
    authority,
    authFailures,
    rootToken,
    async close() {
      ring.stop()
      clearInterval(catalogueTimer)
      await sweeper.stop()
      await dispatcher.stop()
      await usage.stop()
      await rateLimiter.close()
      await store.close()
    },
  }
}

/**
 * Per-token rate limits: shared through Redis when SCOPEWARD_REDIS_URL is set (its client loaded
 * only then), else in memory per instance. Loaded here, not at import: a one-shot command never needs them.
 */
async function tokenRateLimiterFor(config: Config, logger: Logger): Promise<TokenRateLimiter> {
  if (config.redisUrl === null) return (await import('./auth/token-rate-limiter.js')).memoryTokenRateLimiter()
  const { redisTokenRateLimiter } = await import('./auth/redis-token-rate-limiter.js')
  return await redisTokenRateLimiter({
    url: config.redisUrl,
    keyPrefix: config.redisPrefix,
    failMode: config.rateLimitFail,
    warn: (err, message) => logger.warn({ err: redactSecrets(String((err as Error)?.message ?? err)) }, message),
  })
}

/** A domain opened for one command, and how to close it. */
export interface CommandDomain {
  domain: Domain
  /** The audit chain's key (from SCOPEWARD_MASTER_KEY), or null. */
  auditKey: Uint8Array | null
  /** The database as it may be printed (a PostgreSQL password redacted). */
  label: string
  /** Whether this open applied pending migrations (a new database counts). */
  migrated: boolean
  close(): Promise<void>
}

/**
 * The domain of a one-shot command: the store migrated and (unless `create`) initialised. It serves
 * nothing, so it records no usage and neither signs nor verifies JWTs; `keys` loads the signing-key
 * ring for the commands that manage it. Without `create`, a SQLite path that does not exist is an
 * error naming it and nothing is created; an unreachable database is an error naming it (password
 * redacted), never a stack trace.
 */
export async function composeCommandDomain(config: Config, options: { create?: boolean; keys?: boolean } = {}): Promise<CommandDomain> {
  const label = displayDb(config.db)
  const sqliteFile = !/^postgres(ql)?:\/\//.test(config.db) && config.db !== ':memory:'
  if (!options.create && sqliteFile && !existsSync(config.db)) {
    const full = resolve(config.db) === config.db ? '' : ` (${resolve(config.db)})`
    throw new ScopewardError('NOT_FOUND', `database ${label}${full} does not exist: check --db or SCOPEWARD_DB, or create it with \`scopeward init --db ${label}\``)
  }
  const masterKey = masterKeyBytes(config.masterKey)
  const auditKey = auditKeyOf(masterKey)
  const store = await openStore(config.db, { auditKey })
  let migrated = false
  try {
    migrated = !(await store.ready())
    if (migrated) await store.migrate()
  } catch (error) {
    await store.close().catch(() => undefined)
    throw new ScopewardError('INTERNAL_SERVER_ERROR', `cannot open database ${label}: ${redactSecrets((error as Error).message ?? String(error))}`)
  }
  const catalogue = new ScopeCatalogue(store)
  await catalogue.refresh()
  if (!options.create && (await store.getMeta('initialized_at')) === null) {
    await store.close()
    throw new ScopewardError('BAD_USER_INPUT', `database ${label} is not initialised: run \`scopeward init --db ${label}\` first`)
  }
  const clock = systemClock
  const policies = policiesOf(config)
  let keys = NO_SIGNING_KEYS
  if (options.keys) {
    const ring = keyRingFor({ store, clock, policies }, config, masterKey, operatorCall())
    try {
      await ring.refresh()
    } catch (error) {
      await store.close()
      throw error
    }
    keys = ring
  }
  const domain: Domain = Object.freeze({
    store,
    catalogue,
    clock,
    policies,
    usage: commandUsage(store, clock),
    authFailures: new Map(),
    jwt: NO_JWT_ISSUER,
    jwtVerifier: NO_JWT_VERIFIER,
    keys,
    requestPolicies: [],
    webhooks: { allowHttp: config.webhooks.allowHttp, masterKey },
    tokenFormat: createOpaqueFormat(config.tokenPrefix),
  })
  return { domain, auditKey, label, migrated, close: () => store.close() }
}
