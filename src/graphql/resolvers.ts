import type { GraphQLResolveInfo } from 'graphql'
import { ScopewardError } from '../errors.js'
import { isoTimeOrNull as iso } from '../iso-time.js'
import { createApp, disableApp, updateApp } from '../domain/apps.js'
import { clientSecretOfActor } from '../domain/actor.js'
import { createScope } from '../domain/create-scope.js'
import { deriveToken } from '../domain/derive-token.js'
import { formatDuration } from '../domain/duration.js'
import { issueToken } from '../domain/issue-token.js'
import { encodeCursor, encodeSeqCursor } from '../domain/pagination.js'
import { findApp, findToken, listApps, listAuditEvents, listTokens } from '../domain/queries.js'
import { revokeToken } from '../domain/revoke-token.js'
import { rotateToken } from '../domain/rotate-token.js'
import { currentStatus } from '../domain/token-status.js'
import { requiredScopes, scopeRequirements } from '../directives/index.js'
import type { AppRecord, AuditEventRecord, Page, TokenRecord } from '../domain/model.js'
import type { ConnectionParent } from './connections.js'
import { parseClientDocument } from './client-documents.js'
import { actorOf, caller, callOf, type GraphQLContext } from './context.js'
import { oauthResolvers } from './oauth-resolvers.js'
import { scopesForOperations } from './scopes-for-operations.js'
import { selectsOnly } from './selects-only.js'
import type { Resolvers } from './types.generated.js'

function connection<T>(page: Page<T> & { totalCount: () => Promise<number> }, cursorOf: (row: T) => string): ConnectionParent<T> {
  return { ...page, cursorOf }
}

const tokenCursor = (t: TokenRecord): string => encodeCursor(t)
const appCursor = (a: AppRecord): string => encodeCursor(a)
const auditCursor = (e: AuditEventRecord): string => encodeSeqCursor(e.seq)

/** The app of a token, read once per request (a page's apps in one batch); synchronous when already known, so a page of tokens adds no promises. */
function appOf(ctx: GraphQLContext, id: string): AppRecord | null | Promise<AppRecord | null> {
  let app = ctx.apps.get(id)
  if (app === undefined) {
    const loading = ctx.loaders.app.load(id).then((loaded) => {
      ctx.apps.set(id, loaded)
      return loaded
    })
    ctx.apps.set(id, loading)
    app = loading
  }
  return app
}

const NAME_FIELDS: ReadonlySet<string> = new Set(['id', 'name', '__typename'])

/**
 * Another token the caller may see, or null. A selection of its id and name only (a console's
 * `createdBy { id name }`) reads those columns, not the whole row: the Token resolvers then read
 * nothing else of it, and the fields' own directives still wrap them.
 */
function visibleTokenOf(ctx: GraphQLContext, id: string, info: GraphQLResolveInfo): Promise<TokenRecord | null> {
  return selectsOnly(info, NAME_FIELDS) ? (ctx.loaders.visibleTokenName.load(id) as Promise<TokenRecord | null>) : ctx.loaders.visibleToken.load(id)
}

/** An edge whose cursor is encoded only if the client selects it. */
class Edge<T> {
  constructor(
    readonly node: T,
    private readonly cursorOf: (row: T) => string,
  ) {}

  get cursor(): string {
    return this.cursorOf(this.node)
  }
}

function connectionResolvers<T>() {
  return {
    edges: (c: ConnectionParent<T>) => c.rows.map((node) => new Edge(node, c.cursorOf)),
    pageInfo: (c: ConnectionParent<T>) => ({ hasNextPage: c.hasNextPage, endCursor: c.rows.length > 0 ? c.cursorOf(c.rows[c.rows.length - 1] as T) : null }),
    totalCount: (c: ConnectionParent<T>) => c.totalCount(),
  }
}

/** Thin resolvers: input → one domain call → output. Every rule lives in domain/. */
export const resolvers: Resolvers = {
  Query: {
    ...oauthResolvers.Query,
    viewer: (_p, _a, ctx) => ctx.principal?.token ?? null,
    scopes: (_p, _a, ctx) => [...ctx.domain.catalogue.all],
    apps: async (_p, args, ctx) => connection(await listApps(ctx.domain, actorOf(ctx), args), appCursor),
    app: (_p, args, ctx) => findApp(ctx.domain, actorOf(ctx), args.id),
    tokens: async (_p, args, ctx) => {
      const page = await listTokens(ctx.domain, actorOf(ctx), args)
      return connection(page, page.cursorOf)
    },
    token: (_p, args, ctx) => findToken(ctx.domain, actorOf(ctx), args.id),
    auditEvents: async (_p, args, ctx) => connection(await listAuditEvents(ctx.domain, actorOf(ctx), args), auditCursor),
    scopeRequirements: (_p, _a, ctx) => scopeRequirements(ctx.schema).map((r) => ({ ...r, requiredScopes: r.requiredScopes.map((alt) => [...alt]) })),
    requiredScopes: (_p, args, ctx) => {
      const document = parseClientDocument(ctx.schema, args.document, 'document')
      try {
        return requiredScopes(ctx.schema, document, args.operationName ?? undefined).map((alt) => [...alt])
      } catch (error) {
        throw new ScopewardError('BAD_USER_INPUT', `document: ${(error as Error).message}`, { field: 'document' })
      }
    },
  },
  Mutation: {
    ...oauthResolvers.Mutation,
    createApp: (_p, { input }, ctx) => createApp(ctx.domain, callOf(ctx), input),
    updateApp: (_p, { id, input }, ctx) => updateApp(ctx.domain, callOf(ctx), id, input),
    disableApp: (_p, { id }, ctx) => disableApp(ctx.domain, callOf(ctx), id),
    createScope: (_p, { input }, ctx) => createScope(ctx.domain, callOf(ctx), input),
    issueToken: async (_p, { input }, ctx) => {
      const scopes = scopesForOperations(ctx, caller(ctx), input)
      return issueToken(ctx.domain, callOf(ctx), { ...input, scopes })
    },
    deriveToken: (_p, { input }, ctx) => deriveToken(ctx.domain, callOf(ctx), input),
    rotateToken: (_p, { id, gracePeriod }, ctx) => rotateToken(ctx.domain, callOf(ctx), id, gracePeriod),
    revokeToken: async (_p, { id, reason }, ctx) => (await revokeToken(ctx.domain, callOf(ctx), id, reason)).token,
  },
  Scope: {
    name: (s) => s.name,
  },
  App: {
    maxTokenLifetime: (a) => (a.maxTokenLifetimeMs === null ? null : formatDuration(a.maxTokenLifetimeMs)),
    createdAt: (a) => iso(a.createdAt) as string,
    disabledAt: (a) => iso(a.disabledAt),
    tokens: async (a, args, ctx) => connection(await listTokens(ctx.domain, actorOf(ctx), { ...args, appId: a.id }), tokenCursor),
  },
  Token: {
    app: (t, _a, ctx) => appOf(ctx, t.appId) as AppRecord | Promise<AppRecord>,
    // Under the lifetime policies in force and the tokens it lives by: a token dead under policy reads EXPIRED.
    status: (t, _a, ctx) => currentStatus(ctx.domain, t, { app: (id) => appOf(ctx, id), token: (id) => ctx.loaders.tokenRecord.load(id) }),
    createdAt: (t) => iso(t.createdAt) as string,
    expiresAt: (t) => iso(t.expiresAt),
    revokedAt: (t) => iso(t.revokedAt),
    lastUsedAt: (t) => iso(t.lastUsedAt),
    // Another token's metadata, under the caller's boundary as token(id:) (the loaders apply it), one read per page.
    createdBy: (t, _a, ctx, info) => (t.createdBy && clientSecretOfActor(t.createdBy) === null ? visibleTokenOf(ctx, t.createdBy, info) : null),
    createdByCredential: (t) => clientSecretOfActor(t.createdBy),
    parent: (t, _a, ctx, info) => (t.parentId ? visibleTokenOf(ctx, t.parentId, info) : null),
    usedScopes: (t, _a, ctx) => ctx.loaders.usedScopes.load(t.id),
  },
  TokenConnection: connectionResolvers<TokenRecord>(),
  AppConnection: connectionResolvers<AppRecord>(),
  AuditEventConnection: connectionResolvers<AuditEventRecord>(),
  AuditEvent: {
    at: (e) => iso(e.at) as string,
    details: (e) => withIsoInstants(e.details),
  },
}

/** Audit details as the API shows them: every number under a key ending in `At` (epoch ms in the store) as an ISO 8601 instant, at any depth. */
export function withIsoInstants(details: Record<string, unknown>): Record<string, unknown> {
  const convert = (key: string, value: unknown): unknown => {
    if (typeof value === 'number' && key.endsWith('At') && Number.isFinite(value)) return new Date(value).toISOString()
    if (Array.isArray(value)) return value.map((v) => convert(key, v))
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(k, v)]))
    return value
  }
  return convert('', details) as Record<string, unknown>
}
