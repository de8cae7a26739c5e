import { ScopewardError, badInput, notFound } from '../errors.js'
import type { AppRecord, TokenKind, TokenRecord, WriteGuard } from './model.js'
import { generateOpaqueToken, hashSecret } from '../tokens/opaque-token.js'
import { auditEvent, canSeeApp, type Domain, type Principal, type RequestInfo } from './context.js'
import { resolveExpiry } from './expiry.js'
import { lifetimeEnd } from './token-status.js'
import { checkRequestedScopes } from './grant.js'
import { optionalText, requireText } from './validate.js'
import { allOf, callerGuard, retryStale, unchangedApp } from './write-guard.js'

export interface IssueTokenInput {
  appId?: string | null | undefined
  subject?: string | null | undefined
  name: string
  scopes: readonly string[]
  expiresIn?: string | null | undefined
  noExpiry?: boolean | null | undefined
  kind?: TokenKind | null | undefined
}

/** A new token and its plaintext: returned once, never stored. */
export interface IssuedToken {
  token: TokenRecord
  secret: string
}

/**
 * Issues a token for an app: scopes within the app's ceiling and the caller's own, expiry by
 * default and within policy. `principal` null is the command line (the break-glass path).
 */
export async function issueToken(domain: Domain, principal: Principal | null, request: RequestInfo, input: IssueTokenInput): Promise<IssuedToken> {
  return retryStale(() => issueOnce(domain, principal, request, input))
}

async function issueOnce(domain: Domain, principal: Principal | null, request: RequestInfo, input: IssueTokenInput): Promise<IssuedToken> {
  const appId = input.appId ?? principal?.app.id
  if (!appId) throw badInput('appId', 'appId: required')
  const app = await domain.store.getApp(appId)
  if (!app || (principal && !canSeeApp(principal, app))) throw notFound('app', appId)
  if (app.disabledAt !== null) throw badInput('appId', `appId: app ${JSON.stringify(app.id)} is disabled`)
  const subject = resolveSubject(principal, input.subject)
  const kind = input.kind ?? 'OPAQUE'
  const name = requireText(input.name, 'name')
  const scopes = checkRequestedScopes(domain, principal, app, input.scopes, 'scopes')
  const boundTo = issuerBinding(principal)
  const issuerEnd = boundTo !== null && principal ? { parentExpiresAt: lifetimeEnd(domain, principal.token, principal.app), isDerived: true, parentIs: 'issuer' as const } : {}
  const expiresAt = resolveExpiry(domain, { app, kind, expiresIn: input.expiresIn, noExpiry: input.noExpiry, ...issuerEnd })
  return createToken(domain, principal, request, { app, subject, name, kind, scopes, expiresAt, parentId: null }, 'token.issue')
}

/**
 * The issuer a new token is bound to: a token issued by a derived or exchanged token (or by one
 * bound in turn) lives no longer than its issuer and is revoked with the issuer's family, so a
 * short-lived child cannot mint tokens that escape it. Null: issued by a free-standing token or the CLI.
 */
export function issuerBinding(principal: Principal | null): string | null {
  if (!principal) return null
  return principal.token.parentId !== null || principal.token.boundTo !== null ? principal.token.id : null
}

/** A token acting for a subject can only issue tokens for that same subject. */
function resolveSubject(principal: Principal | null, requested: string | null | undefined): string | null {
  const subject = optionalText(requested, 'subject', 200)
  // DESIGN: a token issued by a token with a subject inherits it, whichever app it is issued for.
  const inherited = principal?.token.subject ?? null
  if (inherited === null) return subject
  if (subject !== null && subject !== inherited) throw badInput('subject', 'subject: a token acting for a subject can only issue tokens for that subject')
  return inherited
}

/**
 * Builds, stores and audits a token; shared by issue, derive and the OAuth grants. The write
 * re-checks the caller and the app (`spec.app` as the decision read it) and `guard` in its
 * transaction: a StaleRead there means the caller's operation must be re-run (retryStale).
 */
export async function createToken(
  domain: Domain,
  principal: Principal | null,
  request: RequestInfo,
  spec: { app: AppRecord; subject: string | null; name: string; kind: TokenKind; scopes: string[]; expiresAt: number | null; parentId: string | null; audience?: string; act?: Record<string, unknown>; actor?: string },
  action: string,
  guard: WriteGuard | null = null,
): Promise<IssuedToken> {
  // A JWT's (and introspection's) `sub` is the subject, or the app id for a token without one: a subject
  // must never pass for an app. Checked here, where every issuing path meets (a subject inherited from a
  // token issued before the rule is refused too).
  if (spec.subject !== null && (spec.subject === 'root' || spec.subject.startsWith('app_'))) {
    throw badInput('subject', `subject: ${JSON.stringify(spec.subject)} is reserved: "root" and names starting with "app_" are app ids, which sub uses for tokens without a subject`)
  }
  const now = domain.clock()
  const opaque = generateOpaqueToken()
  if (spec.kind === 'JWT' && !domain.jwt) throw badInput('kind', 'kind: JWT access tokens are not available on this server')
  const token: TokenRecord = {
    id: opaque.id,
    appId: spec.app.id,
    subject: spec.subject,
    name: spec.name,
    kind: spec.kind,
    scopes: spec.scopes,
    secretHash: spec.kind === 'OPAQUE' ? hashSecret(opaque.secret) : null,
    createdAt: now,
    expiresAt: spec.expiresAt,
    revokedAt: null,
    revokeReason: null,
    lastUsedAt: null,
    // `actor`: a credential other than a token issued it (a client secret); recorded as creator and audit actor.
    createdBy: spec.actor ?? principal?.token.id ?? null,
    parentId: spec.parentId,
    // The signing key is chosen (and recorded) before the row is written: retirement counts the JWTs each key signed.
    kid: spec.kind === 'JWT' ? (domain.jwt as NonNullable<Domain['jwt']>).signingKid() : null,
    // A derived token dies with its parent already; any other token issued by a family member is bound to it.
    boundTo: spec.parentId === null ? issuerBinding(principal) : null,
  }
  const audit = auditEvent(domain, principal, request, {
    action,
    target: token.id,
    appId: token.appId,
    details: { name: token.name, kind: token.kind, scopes: token.scopes, expiresAt: token.expiresAt, subject: token.subject, parentId: token.parentId, ...(token.boundTo !== null ? { boundTo: token.boundTo } : {}) },
  })
  if (spec.actor !== undefined) audit.actor = spec.actor
  const inserted = await domain.store.insertToken(token, audit, spec.parentId !== null || token.boundTo !== null ? now : undefined, allOf(callerGuard(domain, principal), unchangedApp(spec.app), guard))
  if (!inserted) throw new ScopewardError('UNAUTHENTICATED', 'the parent or issuing token is no longer active')
  const secret = spec.kind === 'JWT' ? await (domain.jwt as NonNullable<Domain['jwt']>).sign(token, { audience: spec.audience, act: spec.act }) : opaque.plaintext
  return { token, secret }
}
