import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { GraphQLSchema } from 'graphql'
import { applyScopeDirectives } from '../directives/index.js'
import { BUILT_IN_SCOPES } from '../domain/scope-rules.js'
import type { ScopeCatalogue } from '../domain/scope-catalogue.js'
import { packageRoot } from '../package-root.js'
import type { GraphQLContext } from './context.js'
import { consoleResolvers } from './console-resolvers.js'
import { leastPrivilegeResolvers } from './least-privilege-resolvers.js'
import { constraintResolvers } from './constraint-resolvers.js'
import { webhookResolvers } from './webhook-resolvers.js'
import { resolvers } from './resolvers.js'
import { subscriptionResolvers } from './subscription-resolvers.js'
import { validateStringArguments } from './validate-arguments.js'

/** The SDL of schema/*.graphql: the one place Scopeward's GraphQL types are declared. */
export function loadTypeDefs(): string[] {
  const dir = join(packageRoot(), 'schema')
  return readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8'))
}

/**
 * Scopeward's executable schema with every field guarded by the directive engine. Building fails
 * if a root field has no rule or a directive names an undeclared built-in scope.
 */
export function buildScopewardSchema(options: {
  catalogue: ScopeCatalogue
  onAuthorized?: (context: GraphQLContext, used: readonly string[], required: readonly string[]) => void
  /** Opens `scopeRequirements` and `requiredScopes` to callers without a token (the SDL asks for one). */
  publicScopeRequirements?: boolean
  /**
   * With the Subscription root (the WebSocket endpoint's schema, the default), or without it (the
   * HTTP schema: subscriptions are served over WebSocket only, and a subscription sent over HTTP is
   * then answered 400 before validation, where graphql-js 16 would throw on some documents).
   */
  subscriptions?: boolean
}): GraphQLSchema {
  const unguarded = buildUnguardedSchema()
  return applyScopeDirectives(options.subscriptions === false ? withoutSubscriptions(unguarded) : unguarded, {
    scopesOf: (context) => (context as GraphQLContext).principal?.held ?? null,
    implies: () => options.catalogue.implies,
    declaredScopes: BUILT_IN_SCOPES.map((s) => s.name),
    // A denied field must yield partial data ({ viewer apps } for a tokens:read token keeps viewer).
    nullableProtectedFields: true,
    ...(options.publicScopeRequirements ? { rules: { 'Query.scopeRequirements': 'public', 'Query.requiredScopes': 'public' } as const } : {}),
    ...(options.onAuthorized ? { onAuthorized: options.onAuthorized as (context: unknown, used: readonly string[], required: readonly string[]) => void } : {}),
  })
}

/**
 * The same schema and resolvers with no field guarded: only for the benchmark's engine on ÷ off
 * ratio (bench/lib/scopeward-server.ts). Never served: every field would be open.
 */
export function buildUnguardedSchema(): GraphQLSchema {
  return validateStringArguments(
    makeExecutableSchema({
      typeDefs: loadTypeDefs(),
      resolvers: [resolvers, leastPrivilegeResolvers, consoleResolvers, constraintResolvers, webhookResolvers, subscriptionResolvers] as never,
    }),
  )
}

/** The schema without its Subscription root type. */
function withoutSubscriptions(schema: GraphQLSchema): GraphQLSchema {
  const config = schema.toConfig()
  const root = schema.getSubscriptionType()
  return new GraphQLSchema({ ...config, subscription: null, types: config.types.filter((t) => t !== root) })
}
