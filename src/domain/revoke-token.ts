import { notFound } from '../errors.js'
import type { TokenRecord } from './model.js'
import type { Call } from './actor.js'
import { auditEvent, type Domain } from './context.js'
import { maySeeToken } from './permissions.js'
import { lookupToken } from './queries.js'
import { optionalText } from './validate.js'
import { callerGuard } from './write-guard.js'

/**
 * Revokes a token and every token derived from it, in one transaction. Revoking a revoked token
 * changes nothing and answers the token as it is.
 */
export async function revokeToken(domain: Domain, call: Call, id: string, reason?: string | null): Promise<{ token: TokenRecord; revokedIds: string[] }> {
  const token = await lookupToken(domain, id)
  if (!token || !maySeeToken(call.actor, token)) throw notFound('token', id)
  const why = optionalText(reason, 'reason', 500)
  const audit = auditEvent(domain, call, { action: 'token.revoke', target: token.id, appId: token.appId, details: { reason: why } })
  // A caller revoked (or disabled) meanwhile revokes nothing more; a token revoking itself (RFC 7009) needs no such check.
  const revokesItself = call.actor.kind === 'token' && call.actor.principal.token.id === token.id
  const guard = revokesItself ? undefined : callerGuard(domain, call.actor)
  const revokedIds = await domain.store.revokeTokenCascade(token.id, domain.clock(), why, audit, guard)
  return { token: (await domain.store.getToken(token.id)) as TokenRecord, revokedIds }
}
