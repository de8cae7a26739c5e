import { notFound } from '../errors.js'
import type { TokenRecord } from './model.js'
import type { Actor } from './actor.js'
import type { Domain } from './context.js'
import { maySeeToken } from './permissions.js'

/**
 * What `revokeToken(id)` would revoke, without writing anything: the token and every token derived
 * from it that is not yet revoked, parents first. Refused exactly as revokeToken refuses (a token
 * outside the caller's boundary does not exist); derived tokens outside it are not listed.
 */
export async function revocationPreview(domain: Domain, actor: Actor, id: string): Promise<TokenRecord[]> {
  const token = await domain.store.getToken(id)
  if (!token || !maySeeToken(actor, token)) throw notFound('token', id)
  const family = await domain.store.listTokenFamily(id)
  const out: TokenRecord[] = []
  for (const member of family) {
    const record = member.id === id ? token : await domain.store.getToken(member.id)
    if (record && record.revokedAt === null && maySeeToken(actor, record)) out.push(record)
  }
  return out
}
