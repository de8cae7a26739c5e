import {
  tokenSortKey,
  utcDay,
  MAX_USAGE_DAYS,
  type AppRecord,
  type DailyUsage,
  type AuditEventRecord,
  type AuditFilter,
  type Page,
  type ScopeUsage,
  type TokenFilter,
  type TokenKind,
  type TokenRecord,
  type TokenSort,
  type TokenStatus,
} from './model.js'
import { badInput } from '../errors.js'
import { unreachable, type Actor } from './actor.js'
import type { Domain } from './context.js'
import { maySeeApp, maySeeToken } from './permissions.js'
import { secretMatches } from '../tokens/opaque-token.js'
import { optionalText, parseInstant } from './validate.js'
import { decodeCursor, decodeSeqCursor, decodeSortCursor, encodeCursor, encodeSortCursor, pageSize } from './pagination.js'

/**
 * The token an id names. A full opaque token pasted where its id is expected is resolved by its
 * hash (a wrong secret names nothing), and a JWT by its jti: the caller meant that token, and an
 * error must not echo the secret back.
 */
export async function lookupToken(domain: Domain, idOrToken: string): Promise<TokenRecord | null> {
  if (domain.tokenFormat.looksLike(idOrToken)) {
    const parsed = domain.tokenFormat.parse(idOrToken)
    const token = parsed ? await domain.store.getToken(parsed.id) : null
    return parsed && token?.secretHash != null && secretMatches(parsed.secret, token.secretHash) ? token : null
  }
  const jti = jwtId(idOrToken)
  if (jti !== null) {
    const token = await domain.store.getToken(jti)
    return token?.kind === 'JWT' ? token : null
  }
  return domain.store.getToken(idOrToken)
}

/** The jti of something shaped like a JWT (unverified: it only names a row the caller must still be allowed to see), else null. */
function jwtId(text: string): string | null {
  const parts = text.split('.')
  if (parts.length !== 3 || !text.startsWith('eyJ')) return null
  try {
    const claims = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8')) as { jti?: unknown }
    return typeof claims.jti === 'string' ? claims.jti : ''
  } catch {
    return ''
  }
}

/** A token the caller may see, or null exactly as for one that does not exist. */
export async function findToken(domain: Domain, actor: Actor, id: string): Promise<TokenRecord | null> {
  const token = await lookupToken(domain, id)
  return token && maySeeToken(actor, token) ? token : null
}

/** An app the caller may see, or null exactly as for one that does not exist. */
export async function findApp(domain: Domain, actor: Actor, id: string): Promise<AppRecord | null> {
  const app = await domain.store.getApp(id)
  return app && maySeeApp(actor, app) ? app : null
}

export interface TokenListArgs {
  appId?: string | null | undefined
  subject?: string | null | undefined
  status?: TokenStatus | null | undefined
  kind?: TokenKind | null | undefined
  /** Name contains (ignoring ASCII case), or id is exactly. */
  search?: string | null | undefined
  sort?: TokenSort | null | undefined
  descending?: boolean | null | undefined
  first?: number | null | undefined
  after?: string | null | undefined
}

/**
 * Tokens the caller may see, oldest first (or in `sort` order, ties by id), by keyset. A non-root token's list is confined to its
 * app (and subject); asking for another app's tokens answers an empty list, as if it had none.
 */
export async function listTokens(
  domain: Domain,
  actor: Actor,
  args: TokenListArgs,
  extra: Omit<TokenFilter, 'appId' | 'subject' | 'status' | 'kind' | 'now'> = {},
): Promise<Page<TokenRecord> & { cursorOf: (t: TokenRecord) => string; totalCount: () => Promise<number>; endCursor: string | null }> {
  const limit = pageSize(args.first)
  const sort = args.sort ?? 'CREATED'
  const descending = args.descending ?? false
  // The default order keeps its historic cursors; any other names its order in the cursor.
  const sorted = sort !== 'CREATED' || descending
  const after = sorted ? undefined : decodeCursor(args.after)
  const order = sorted ? { sort, descending, after: decodeSortCursor(args.after, sort, descending) } : undefined
  const search = optionalText(args.search, 'search', 200) || undefined
  const empty = { rows: [], hasNextPage: false, cursorOf: encodeCursor, totalCount: () => Promise.resolve(0), endCursor: null }
  const confined = confine(actor, { appId: args.appId ?? undefined, subject: args.subject ?? undefined })
  if (confined === null) return empty
  const { appId, subject } = confined
  const filter = {
    ...extra,
    appId,
    subject,
    search,
    status: args.status ?? undefined,
    kind: args.kind ?? undefined,
    now: domain.clock(),
    maxLifetimeMs: domain.policies.maxTokenLifetimeMs ?? undefined,
  }
  const page = await domain.store.listTokens(filter, { after, limit, order })
  const cursorOf = (t: TokenRecord): string => (sorted ? encodeSortCursor(sort, descending, { key: tokenSortKey(t, sort), id: t.id }) : encodeCursor(t))
  const last = page.rows[page.rows.length - 1]
  return { ...page, cursorOf, totalCount: () => domain.store.countTokens(filter), endCursor: last ? cursorOf(last) : null }
}

/**
 * The app and subject a token list is confined to for `actor` (same rule as maySeeToken), or null
 * when the asked-for ones lie outside it: the list is then empty, as if there were no such tokens.
 */
function confine(actor: Actor, asked: { appId: string | undefined; subject: string | undefined }): { appId: string | undefined; subject: string | undefined } | null {
  switch (actor.kind) {
    case 'operator':
      return asked
    case 'client':
      return null
    case 'token': {
      const { app, token } = actor.principal
      // A subject confines the list even for a root-app token.
      if (app.isRoot && token.subject === null) return asked
      if (asked.appId !== undefined && asked.appId !== app.id) return null
      if (token.subject === null) return { appId: app.id, subject: asked.subject }
      if (asked.subject !== undefined && asked.subject !== token.subject) return null
      return { appId: app.id, subject: token.subject }
    }
    default:
      return unreachable(actor)
  }
}

/** Apps the caller may see, oldest first: every app across apps, else only its own. */
export async function listApps(
  domain: Domain,
  actor: Actor,
  args: { first?: number | null; after?: string | null },
): Promise<Page<AppRecord> & { totalCount: () => Promise<number> }> {
  if (actor.kind === 'client') return { rows: [], hasNextPage: false, totalCount: () => Promise.resolve(0) }
  const appId = actor.kind === 'operator' || actor.principal.app.isRoot ? undefined : actor.principal.app.id
  const page = await domain.store.listApps({ appId, after: decodeCursor(args.after), limit: pageSize(args.first) })
  return { ...page, totalCount: () => domain.store.countApps({ appId }) }
}

/** The audit log, oldest first; a non-root token reads only its own app's events. */
export async function listAuditEvents(
  domain: Domain,
  caller: Actor,
  args: { first?: number | null; after?: string | null; actor?: string | null; action?: string | null; target?: string | null; from?: string | null; to?: string | null },
): Promise<Page<AuditEventRecord> & { totalCount: () => Promise<number> }> {
  // The audit log is app-level; a token bound to one user of the app must not read the others' actions.
  if (caller.kind === 'client' || (caller.kind === 'token' && caller.principal.token.subject !== null))
    return { rows: [], hasNextPage: false, totalCount: () => Promise.resolve(0) }
  const filter: AuditFilter = {
    appId: caller.kind === 'operator' || caller.principal.app.isRoot ? undefined : caller.principal.app.id,
    actor: args.actor ?? undefined,
    action: args.action ?? undefined,
    target: args.target ?? undefined,
    from: instant(args.from, 'from'),
    to: instant(args.to, 'to'),
  }
  const page = await domain.store.listAuditEvents({ ...filter, after: decodeSeqCursor(args.after), limit: pageSize(args.first) })
  return { ...page, totalCount: () => domain.store.countAuditEvents(filter) }
}

function instant(value: string | null | undefined, field: string): number | undefined {
  return value == null ? undefined : parseInstant(value, field)
}

/**
 * The app a token the caller already sees belongs to, unchecked: seeing a token includes seeing
 * which app it is of (a root-app token lists tokens of every app).
 */
export function appOfVisibleToken(domain: Domain, token: Pick<TokenRecord, 'appId'>): Promise<AppRecord | null> {
  return domain.store.getApp(token.appId)
}

/** The scopes a token the caller already sees has exercised, with counts and when last. */
export function scopeUsageOf(domain: Domain, token: Pick<TokenRecord, 'id'>): Promise<ScopeUsage[]> {
  return domain.store.getUsage(token.id)
}

/** The scopes a token's requests required (what a narrower token would have needed), for a token the caller already sees. */
export function scopeNeedsOf(domain: Domain, token: Pick<TokenRecord, 'id'>): Promise<ScopeUsage[]> {
  return domain.store.listNeeds([token.id])
}

/** The tokens derived directly from `token` that the caller may see, oldest first. */
export async function derivedTokens(domain: Domain, actor: Actor, token: Pick<TokenRecord, 'id'>): Promise<TokenRecord[]> {
  const family = await domain.store.listTokenFamily(token.id)
  const children = await Promise.all(family.filter((m) => m.parentId === token.id).map((m) => domain.store.getToken(m.id)))
  return children.filter((c): c is TokenRecord => c !== null && maySeeToken(actor, c)).sort((a, b) => a.createdAt - b.createdAt)
}

/** Whether the database answers and every migration is applied (readiness probes). */
export function isReady(domain: Domain): Promise<boolean> {
  return domain.store.ready()
}

/**
 * Requests per UTC day and scope of a token the caller already sees, over the last `days` days
 * (today included), after writing what the usage tracker holds (as the reports do).
 */
export async function dailyUsageOf(domain: Domain, token: Pick<TokenRecord, 'id'>, days: number): Promise<DailyUsage[]> {
  if (!Number.isInteger(days) || days < 1 || days > MAX_USAGE_DAYS) throw badInput('days', `days: must be an integer from 1 to ${MAX_USAGE_DAYS}`)
  await domain.usage.flush()
  const from = utcDay(domain.clock() - (days - 1) * 86_400_000)
  return domain.store.listDailyUsage(token.id, from)
}
