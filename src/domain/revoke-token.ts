import { notFound } from '../errors.js'
import type { TokenRecord } from './model.js'
import { auditEvent, canSeeToken, type Domain, type Principal, type RequestInfo } from './context.js'
import { lookupToken } from './queries.js'
import { optionalText } from './validate.js'
import { callerGuard } from './write-guard.js'

/**
 * Revokes a token and every token derived from it, in one transaction. Revoking a revoked token
 * changes nothing and answers the token as it is. `principal` null is the command line.
 */
export async function revokeToken(domain: Domain, principal: Principal | null, request: RequestInfo, id: string, reason?: string | null): Promise<{ token: TokenRecord; revokedIds: string[] }> {
  const token = await lookupToken(domain, id)
  if (!token || (principal && !canSeeToken(principal, token))) throw notFound('token', id)
  const why = optionalText(reason, 'reason', 500)
  const audit = auditEvent(domain, principal, request, { action: 'token.revoke', target: token.id, appId: token.appId, details: { reason: why } })
  // A caller revoked (or disabled) meanwhile revokes nothing more; a token revoking itself (RFC 7009) needs no such check.
  const guard = principal && token.id !== principal.token.id ? callerGuard(domain, principal) : undefined
  const revokedIds = await domain.store.revokeTokenCascade(token.id, domain.clock(), why, audit, guard)
  return { token: (await domain.store.getToken(token.id)) as TokenRecord, revokedIds }
}
