import type { AppRecord, TokenRecord, TokenStatus } from './model.js'
import type { Domain } from './context.js'

/**
 * When a token stops under the lifetime policies in force now (its app's and the instance's
 * maximum, counted from its creation) and its own expiry; null: never. Policies apply at use, so
 * lowering one ends older tokens at once.
 */
export function lifetimeEnd(domain: Domain, token: TokenRecord, app: AppRecord | null): number | null {
  const ends = [token.expiresAt]
  for (const max of [app?.maxTokenLifetimeMs ?? null, domain.policies.maxTokenLifetimeMs]) if (max !== null) ends.push(token.createdAt + max)
  const known = ends.filter((n): n is number => n !== null)
  return known.length > 0 ? Math.min(...known) : null
}

/** A token's own status under the policies in force: REVOKED wins over EXPIRED, and a token dead under policy is EXPIRED, not ACTIVE. */
export function statusUnderPolicy(domain: Domain, token: TokenRecord, app: AppRecord | null, now: number): TokenStatus {
  if (token.revokedAt !== null) return 'REVOKED'
  const end = lifetimeEnd(domain, token, app)
  return end !== null && end <= now ? 'EXPIRED' : 'ACTIVE'
}

type Lookup<T> = (id: string) => T | null | Promise<T | null>
export interface Lookups {
  app?: Lookup<AppRecord>
  token?: Lookup<TokenRecord>
}

/**
 * The status of the first dead token up the chain a token lives by (its parent, or the issuer it
 * is bound to, and theirs), or null when all live. Revocations are cascaded when written, and
 * expiries clamped at issuance; this catches what neither can: an ancestor ended by a lowered
 * lifetime policy, one removed from the database, or a rotated-out ancestor whose successor (or a
 * later one) was revoked. Rotation moves the family that exists when it happens to the successor;
 * a token derived or issued with the old secret during its grace stays below the old token, and
 * revoking the successor, which ends that secret at once, ends them with it.
 */
export async function deadAncestor(domain: Domain, token: TokenRecord, lookups: Lookups = {}): Promise<TokenStatus | null> {
  const getApp = lookups.app ?? ((id: string) => domain.store.getApp(id))
  const getToken = lookups.token ?? ((id: string) => domain.store.getToken(id))
  const now = domain.clock()
  const seen = new Set<string>([token.id])
  const pending = links(token)
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (seen.has(next)) continue
    seen.add(next)
    const ancestor = await getToken(next)
    if (!ancestor) return 'REVOKED'
    const status = statusUnderPolicy(domain, ancestor, await getApp(ancestor.appId), now)
    if (status !== 'ACTIVE') return status
    if (ancestor.constraints?.successor !== undefined && (await successorChain(ancestor, getToken)).some((row) => row.revokedAt !== null)) return 'REVOKED'
    pending.push(...links(ancestor))
  }
  return null
}

/** The tokens a token lives by: its parent and the issuer it is bound to. */
function links(token: TokenRecord): string[] {
  return [token.parentId, token.boundTo].filter((id): id is string => id !== null)
}

/** What a client is shown as a token's status: its own under policy, else EXPIRED or REVOKED when a token it lives by is. */
export async function currentStatus(domain: Domain, token: TokenRecord, lookups: Lookups = {}): Promise<TokenStatus> {
  const getApp = lookups.app ?? ((id: string) => domain.store.getApp(id))
  const own = statusUnderPolicy(domain, token, await getApp(token.appId), domain.clock())
  if (own !== 'ACTIVE') return own
  // A rotated-out secret in its grace is refused once what replaced it is revoked (authenticate.ts): it reads so.
  if (token.constraints?.successor !== undefined) {
    const getToken = lookups.token ?? ((id: string) => domain.store.getToken(id))
    if ((await successorChain(token, getToken)).some((row) => row.revokedAt !== null)) return 'REVOKED'
  }
  if (token.parentId === null && token.boundTo === null) return own
  return (await deadAncestor(domain, token, lookups)) ?? 'ACTIVE'
}

/** A rotated token's successors, nearest first (A rotated to B, B to C: [B, C]); the chain stops where a row is gone. */
export async function successorChain(token: TokenRecord, getToken: Lookup<TokenRecord>): Promise<TokenRecord[]> {
  const chain: TokenRecord[] = []
  const seen = new Set<string>([token.id])
  let id = token.constraints?.successor
  while (id !== undefined && !seen.has(id)) {
    seen.add(id)
    const row = await getToken(id)
    if (!row) break
    chain.push(row)
    id = row.constraints?.successor
  }
  return chain
}
