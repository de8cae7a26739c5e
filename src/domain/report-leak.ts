import { checkFormat } from '../auth/policies/format.js'
import { lookupToken } from '../auth/policies/lookup.js'
import { tokenCall } from './actor.js'
import { auditEvent, type Domain, type Principal, type RequestInfo } from './context.js'
import { NO_JWT_VERIFIER } from './disabled-features.js'
import { callerGuard } from './write-guard.js'

/** What a leak report did: the token was revoked now, was revoked already, or is no token of this instance. */
export type LeakOutcome = 'revoked' | 'already_revoked' | 'unknown'

/** Who reported the leak: GitHub's secret scanning (a signed request), or a token holding tokens:report-leak. */
export type LeakReporter = { kind: 'github'; url: string | null; source: string | null } | { kind: 'token'; principal: Principal }

/** The revoke reason of a leaked token, as the audit log and `Token.revokeReason` show it. */
export const LEAKED = 'leaked'

/**
 * Revokes a leaked token at once, with everything derived from or bound to it (the cascade of
 * revokeToken), reason `leaked`, in one transaction with a `token.leaked` audit event. Possession
 * proves the leak: the token's secret (or a JWT's signature) is checked exactly as at
 * authentication, so a made-up or mistyped text is `unknown` and changes nothing. A token already
 * revoked (or expired and revoked) changes nothing either. The token itself never leaves here: the
 * audit event names it by id. A GitHub report is audited with the leaked token as actor (it
 * revokes itself, as with RFC 7009); a reporter's token is the actor of its own report, re-checked
 * inside the write.
 */
export async function reportLeak(domain: Domain, presented: string, reporter: LeakReporter, request: RequestInfo): Promise<LeakOutcome> {
  const format = checkFormat(presented, domain.jwtVerifier !== NO_JWT_VERIFIER, domain.tokenFormat)
  if (!format.ok) return 'unknown'
  const found = await lookupToken(format.credential, { getToken: (id) => domain.store.getToken(id), jwtVerifier: domain.jwtVerifier })
  if (!found.ok) return 'unknown'
  const token = found.token
  if (token.revokedAt !== null) return 'already_revoked'
  const app = await domain.store.getApp(token.appId)
  if (!app) return 'unknown'
  const call = reporter.kind === 'token' ? tokenCall(reporter.principal, request) : tokenCall({ token, app, scopes: new Set(), held: [] }, request)
  const details =
    reporter.kind === 'github'
      ? { reason: LEAKED, reportedBy: 'github_secret_scanning', url: reporter.url, source: reporter.source }
      : { reason: LEAKED, reportedBy: reporter.principal.token.id }
  const audit = auditEvent(domain, call, { action: 'token.leaked', target: token.id, appId: token.appId, details })
  const guard = reporter.kind === 'token' ? callerGuard(domain, call.actor) : undefined
  await domain.store.revokeTokenCascade(token.id, domain.clock(), LEAKED, audit, guard)
  return 'revoked'
}
