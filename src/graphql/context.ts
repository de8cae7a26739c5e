import type { GraphQLSchema } from 'graphql'
import { tokenCall, type Call, type TokenActor } from '../domain/actor.js'
import type { Domain, Principal, RequestInfo } from '../domain/context.js'
import { ScopewardError } from '../errors.js'
import type { AppRecord } from '../domain/model.js'
import { createLoaders, type Loaders } from './loaders.js'

/** The per-request GraphQL context: the domain, who is calling, and request facts for the audit log. */
export interface GraphQLContext {
  domain: Domain
  principal: Principal | null
  request: RequestInfo
  schema: GraphQLSchema
  /** Apps read during this request, so a list of tokens reads each app once (and the caller's own app never). */
  apps: Map<string, AppRecord | null | Promise<AppRecord | null>>
  /** Batch loaders for per-token fields in lists (see loaders.ts): created per request, never shared. */
  loaders: Loaders
}

/** A fresh context for one GraphQL request (the caller's own app is known already). */
export function createGraphQLContext(args: { domain: Domain; principal: Principal | null; request: RequestInfo; schema: GraphQLSchema }): GraphQLContext {
  const { domain, principal } = args
  const apps: GraphQLContext['apps'] = new Map()
  if (principal) apps.set(principal.app.id, principal.app)
  return { domain, principal, request: args.request, schema: args.schema, apps, loaders: createLoaders(domain, principal) }
}

/** The calling token's scopes for the directive engine; null means no caller. */
export function scopesOf(context: unknown): ReadonlySet<string> | null {
  return (context as GraphQLContext).principal?.scopes ?? null
}

/** The caller of a resolver the directive engine let through; anonymous access never reaches one that needs it. */
export function caller(ctx: GraphQLContext): Principal {
  if (!ctx.principal) throw new ScopewardError('UNAUTHENTICATED', 'a token is required')
  return ctx.principal
}

/** The caller as the domain's actor: over GraphQL, always a token. */
export function actorOf(ctx: GraphQLContext): TokenActor {
  return { kind: 'token', principal: caller(ctx) }
}

/** The caller and this request, as one value for a domain function that acts or audits. */
export function callOf(ctx: GraphQLContext): Call<TokenActor> {
  return tokenCall(caller(ctx), ctx.request)
}
