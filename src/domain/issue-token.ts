import { ScopewardError, badInput, notFound } from '../errors.js'
import type { AppRecord, TokenKind, TokenRecord } from '../store/store.js'
import { generateOpaqueToken, hashSecret } from '../tokens/opaque-token.js'
import { auditEvent, canSeeApp, type Domain, type Principal, type RequestInfo } from './context.js'
import { resolveExpiry } from './expiry.js'
import { lifetimeEnd } from './token-status.js'
import { checkRequestedScopes } from './grant.js'
import { optionalText, requireText } from './validate.js'

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

/** Builds, stores and audits a token; shared by issue, derive and the OAuth grants. */
export async function createToken(
  domain: Domain,
  principal: Principal | null,
  request: RequestInfo,
  spec: { app: AppRecord; subject: string | null; name: string; kind: TokenKind; scopes: string[]; expiresAt: number | null; parentId: string | null; audience?: string; act?: Record<string, unknown> },
  action: string,
): Promise<IssuedToken> {
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
    createdBy: principal?.token.id ?? null,
    parentId: spec.parentId,
    kid: null,
    // A derived token dies with its parent already; any other token issued by a family member is bound to it.
    boundTo: spec.parentId === null ? issuerBinding(principal) : null,
  }
  const audit = auditEvent(domain, principal, request, {
    action,
    target: token.id,
    appId: token.appId,
    details: { name: token.name, kind: token.kind, scopes: token.scopes, expiresAt: token.expiresAt, subject: token.subject, parentId: token.parentId, ...(token.boundTo !== null ? { boundTo: token.boundTo } : {}) },
  })
  const inserted = await domain.store.insertToken(token, audit, spec.parentId !== null || token.boundTo !== null ? now : undefined)
  if (!inserted) throw new ScopewardError('UNAUTHENTICATED', 'the parent or issuing token is no longer active')
  const secret = spec.kind === 'JWT' ? await (domain.jwt as NonNullable<Domain['jwt']>).sign(token, { audience: spec.audience, act: spec.act }) : opaque.plaintext
  return { token, secret }
}
