import type { AppRecord, AuditEventRecord, AuditFilter, Page, TokenFilter, TokenRecord, TokenStatus } from '../store/store.js'
import { canSeeApp, canSeeToken, type Domain, type Principal } from './context.js'
import { looksLikeOpaqueToken, parseOpaqueToken, secretMatches } from '../tokens/opaque-token.js'
import { parseInstant } from './validate.js'
import { decodeCursor, decodeSeqCursor, encodeCursor, pageSize } from './pagination.js'

/**
 * The token an id names. A full opaque token pasted where its id is expected is resolved by its
 * hash (a wrong secret names nothing), and a JWT by its jti: the caller meant that token, and an
 * error must not echo the secret back.
 */
export async function lookupToken(domain: Domain, idOrToken: string): Promise<TokenRecord | null> {
  if (looksLikeOpaqueToken(idOrToken)) {
    const parsed = parseOpaqueToken(idOrToken)
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
export async function findToken(domain: Domain, principal: Principal, id: string): Promise<TokenRecord | null> {
  const token = await lookupToken(domain, id)
  return token && canSeeToken(principal, token) ? token : null
}

export async function findApp(domain: Domain, principal: Principal, id: string): Promise<AppRecord | null> {
  const app = await domain.store.getApp(id)
  return app && canSeeApp(principal, app) ? app : null
}

export interface TokenListArgs {
  appId?: string | null | undefined
  subject?: string | null | undefined
  status?: TokenStatus | null | undefined
  first?: number | null | undefined
  after?: string | null | undefined
}

/**
 * Tokens the caller may see, oldest first, by keyset. A non-root token's list is confined to its
 * app (and subject); asking for another app's tokens answers an empty list, as if it had none.
 */
export async function listTokens(
  domain: Domain,
  principal: Principal | null,
  args: TokenListArgs,
  extra: Omit<TokenFilter, 'appId' | 'subject' | 'status' | 'now'> = {},
): Promise<Page<TokenRecord> & { totalCount: () => Promise<number>; endCursor: string | null }> {
  const limit = pageSize(args.first)
  const after = decodeCursor(args.after)
  let appId = args.appId ?? undefined
  let subject = args.subject ?? undefined
  const empty = { rows: [], hasNextPage: false, totalCount: async () => 0, endCursor: null }
  // Same rule as canSeeToken: a subject confines the list even for a root-app token.
  if (principal && (!principal.app.isRoot || principal.token.subject !== null)) {
    if (appId !== undefined && appId !== principal.app.id) return empty
    appId = principal.app.id
    if (principal.token.subject !== null) {
      if (subject !== undefined && subject !== principal.token.subject) return empty
      subject = principal.token.subject
    }
  }
  const filter = { ...extra, appId, subject, status: args.status ?? undefined, now: domain.clock(), maxLifetimeMs: domain.policies.maxTokenLifetimeMs ?? undefined }
  const page = await domain.store.listTokens(filter, { after, limit })
  const last = page.rows[page.rows.length - 1]
  return { ...page, totalCount: () => domain.store.countTokens(filter), endCursor: last ? encodeCursor(last) : null }
}

export async function listApps(domain: Domain, principal: Principal | null, args: { first?: number | null; after?: string | null }): Promise<Page<AppRecord> & { totalCount: () => Promise<number> }> {
  const appId = !principal || principal.app.isRoot ? undefined : principal.app.id
  const page = await domain.store.listApps({ appId, after: decodeCursor(args.after), limit: pageSize(args.first) })
  return { ...page, totalCount: () => domain.store.countApps({ appId }) }
}

/** The audit log, oldest first; a non-root token reads only its own app's events (null: the command line reads all). */
export async function listAuditEvents(
  domain: Domain,
  principal: Principal | null,
  args: { first?: number | null; after?: string | null; actor?: string | null; action?: string | null; target?: string | null; from?: string | null; to?: string | null },
): Promise<Page<AuditEventRecord> & { totalCount: () => Promise<number> }> {
  // The audit log is app-level; a token bound to one user of the app must not read the others' actions.
  if (principal && principal.token.subject !== null) return { rows: [], hasNextPage: false, totalCount: async () => 0 }
  const filter: AuditFilter = {
    appId: !principal || principal.app.isRoot ? undefined : principal.app.id,
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
