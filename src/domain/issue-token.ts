import { ScopewardError, badInput, notFound } from '../errors.js'
import type { AppRecord, ConstraintSet, TokenKind, TokenRecord, WriteGuard } from './model.js'
import { constraintsForNewToken, constraintsOf, parseConstraints, storedConstraints, type ConstraintsInput } from './token-constraints.js'
import { hashSecret } from '../tokens/opaque-token.js'
import { unreachable, type Actor, type Call } from './actor.js'
import { auditEvent, type Domain } from './context.js'
import { actorSubject, createdByOf, maySeeApp } from './permissions.js'
import { resolveExpiry } from './expiry.js'
import { lifetimeEnd } from './token-status.js'
import { checkRequestedScopes } from './grant.js'
import { optionalText, requireText } from './validate.js'
import { allOf, callerGuard, retryStale, unchangedApp } from './write-guard.js'

/** The longest token description accepted. */
export const DESCRIPTION_MAX = 500

export interface IssueTokenInput {
  appId?: string | null | undefined
  subject?: string | null | undefined
  name: string
  /** What the token is for (at most 500 characters); shown beside its name. */
  description?: string | null | undefined
  scopes: readonly string[]
  expiresIn?: string | null | undefined
  noExpiry?: boolean | null | undefined
  kind?: TokenKind | null | undefined
  /** Its allowlist, rate limit and credits (src/domain/token-constraints.ts); the app's defaults fill what is left out. */
  constraints?: ConstraintsInput | null | undefined
  /** RFC 8707: the resources a JWT is for (its `aud`), each declared by the app; absent: Scopeward's own. */
  audience?: readonly string[] | null | undefined
}

/** A new token and its plaintext: returned once, never stored. */
export interface IssuedToken {
  token: TokenRecord
  secret: string
}

/**
 * Issues a token for an app: scopes within the app's ceiling and the caller's own, expiry by
 * default and within policy. The operator (the command line) is the break-glass path.
 */
export async function issueToken(domain: Domain, call: Call, input: IssueTokenInput): Promise<IssuedToken> {
  return retryStale(() => issueOnce(domain, call, input))
}

async function issueOnce(domain: Domain, call: Call, input: IssueTokenInput): Promise<IssuedToken> {
  const { actor } = call
  const appId = input.appId ?? (actor.kind === 'token' ? actor.principal.app.id : undefined)
  if (!appId) throw badInput('appId', 'appId: required')
  const app = await domain.store.getApp(appId)
  if (!app || !maySeeApp(actor, app)) throw notFound('app', appId)
  if (app.disabledAt !== null) throw badInput('appId', `appId: app ${JSON.stringify(app.id)} is disabled`)
  const subject = resolveSubject(actor, input.subject)
  const kind = input.kind ?? 'OPAQUE'
  const name = requireText(input.name, 'name')
  const description = optionalText(input.description, 'description', DESCRIPTION_MAX)
  const scopes = checkRequestedScopes(domain, actor, app, input.scopes, 'scopes')
  const constraints = parseConstraints(input.constraints ?? {})
  const issuerEnd =
    issuerBinding(actor) !== null && actor.kind === 'token'
      ? { parentExpiresAt: lifetimeEnd(domain, actor.principal.token, actor.principal.app), isDerived: true, parentIs: 'issuer' as const }
      : {}
  const now = domain.clock()
  const expiresAt = resolveExpiry(domain, { app, kind, expiresIn: input.expiresIn, noExpiry: input.noExpiry, now, ...issuerEnd })
  return createToken(
    domain,
    call,
    { app, subject, name, description, kind, scopes, expiresAt, parentId: null, createdAt: now, constraints, audiences: input.audience ?? null },
    'token.issue',
  )
}

/**
 * The issuer a new token is bound to: a token issued by a derived or exchanged token (or by one
 * bound in turn) lives no longer than its issuer and is revoked with the issuer's family, so a
 * short-lived child cannot mint tokens that escape it. Null: issued by a free-standing token, the
 * operator or a client secret.
 */
export function issuerBinding(actor: Actor): string | null {
  switch (actor.kind) {
    case 'operator':
    case 'client':
      return null
    case 'token': {
      const { token } = actor.principal
      return token.parentId !== null || token.boundTo !== null ? token.id : null
    }
    default:
      return unreachable(actor)
  }
}

/** A token acting for a subject can only issue tokens for that same subject. */
function resolveSubject(actor: Actor, requested: string | null | undefined): string | null {
  const subject = optionalText(requested, 'subject', 200)
  // docs/design.md: a token issued by a token with a subject inherits it, whichever app it is issued for.
  const inherited = actorSubject(actor)
  if (inherited === null) return subject
  if (subject !== null && subject !== inherited) throw badInput('subject', 'subject: a token acting for a subject can only issue tokens for that subject')
  return inherited
}

/**
 * Builds, stores and audits a token; shared by issue, derive and the OAuth grants. The caller is
 * recorded as its creator and audit actor. The write re-checks the caller and the app (`spec.app`
 * as the decision read it) and `guard` in its transaction: a StaleRead there means the caller's
 * operation must be re-run (retryStale).
 */
export async function createToken(
  domain: Domain,
  call: Call,
  spec: {
    app: AppRecord
    subject: string | null
    name: string
    /** Null or absent: none. */
    description?: string | null
    kind: TokenKind
    scopes: string[]
    expiresAt: number | null
    parentId: string | null
    /** RFC 8707 audiences of a JWT; null or absent: Scopeward's own. Each must be declared by the app. */
    audiences?: readonly string[] | null
    act?: Record<string, unknown>
    /** The instant its expiry was resolved from, so `expiresAt - createdAt` is exactly the lifetime asked for; default: now. */
    createdAt?: number
    /** The constraints asked for (validated); a derived token inherits its parent's, and the app's defaults and maximum apply (token-constraints.ts). */
    constraints?: ConstraintSet
  },
  action: string,
  guard: WriteGuard | null = null,
): Promise<IssuedToken> {
  // A JWT's (and introspection's) `sub` is the subject, or the app id for a token without one: a subject
  // must never pass for an app. Checked here, where every issuing path meets (a subject inherited from a
  // token issued before the rule is refused too).
  if (spec.subject !== null && (spec.subject === 'root' || spec.subject.startsWith('app_'))) {
    throw badInput(
      'subject',
      `subject: ${JSON.stringify(spec.subject)} is reserved: "root" and names starting with "app_" are app ids, which sub uses for tokens without a subject`,
    )
  }
  const audiences = checkAudiences(spec.app, spec.kind, spec.audiences ?? null)
  const now = spec.createdAt ?? domain.clock()
  // Read now, not as authentication read it: the parent's balance already counts the request deriving it.
  const parent = spec.parentId === null ? null : await domain.store.getToken(spec.parentId)
  if (spec.parentId !== null && !parent) throw new ScopewardError('UNAUTHENTICATED', 'the parent or issuing token is no longer active')
  const constraints = constraintsForNewToken(spec.app, spec.constraints ?? {}, parent ? { set: constraintsOf(parent, now), bound: 'the parent token' } : null)
  const opaque = domain.tokenFormat.generate()
  const token: TokenRecord = {
    id: opaque.id,
    appId: spec.app.id,
    subject: spec.subject,
    name: spec.name,
    description: spec.description ?? null,
    kind: spec.kind,
    scopes: spec.scopes,
    secretHash: spec.kind === 'OPAQUE' ? hashSecret(opaque.secret) : null,
    createdAt: now,
    expiresAt: spec.expiresAt,
    revokedAt: null,
    revokeReason: null,
    lastUsedAt: null,
    createdBy: createdByOf(call.actor),
    parentId: spec.parentId,
    // The signing key is chosen (and recorded) before the row is written: retirement counts the JWTs each key signed.
    // Where JWTs are off, the issuer refuses here (BAD_USER_INPUT on `kind`), before anything is written.
    kid: spec.kind === 'JWT' ? domain.jwt.signingKid() : null,
    // A derived token dies with its parent already; any other token issued by a family member is bound to it.
    boundTo: spec.parentId === null ? issuerBinding(call.actor) : null,
    ...storedConstraints(constraints, now),
    audiences,
  }
  const audit = auditEvent(domain, call, {
    action,
    target: token.id,
    appId: token.appId,
    details: {
      name: token.name,
      ...(token.description ? { description: token.description } : {}),
      kind: token.kind,
      scopes: token.scopes,
      expiresAt: token.expiresAt,
      subject: token.subject,
      parentId: token.parentId,
      ...(token.boundTo !== null ? { boundTo: token.boundTo } : {}),
      ...(Object.keys(constraints).length > 0 ? { constraints } : {}),
      ...(token.audiences !== null ? { audiences: token.audiences } : {}),
    },
  })
  const inserted = await domain.store.insertToken(
    token,
    audit,
    spec.parentId !== null || token.boundTo !== null ? now : undefined,
    allOf(callerGuard(domain, call.actor), unchangedApp(spec.app), guard),
  )
  if (!inserted) throw new ScopewardError('UNAUTHENTICATED', 'the parent or issuing token is no longer active')
  const secret = spec.kind === 'JWT' ? await domain.jwt.sign(token, { act: spec.act }) : opaque.plaintext
  return { token, secret }
}

/** Most audiences one JWT may name. */
export const MAX_TOKEN_AUDIENCES = 10

/**
 * The audiences a new token names (RFC 8707), or null for Scopeward's own: only a JWT carries
 * them, and each must be one the app declared (an app names the resources its tokens may be for),
 * so a token cannot be minted for a resource its app was never meant to reach.
 */
export function checkAudiences(app: AppRecord, kind: TokenKind, requested: readonly string[] | null): string[] | null {
  if (requested === null || requested.length === 0) return null
  if (kind !== 'JWT') throw badInput('audience', 'audience: only a JWT names an audience; use kind: JWT')
  if (requested.length > MAX_TOKEN_AUDIENCES) throw badInput('audience', `audience: at most ${MAX_TOKEN_AUDIENCES}`)
  const undeclared = [...new Set(requested.filter((a) => !app.audiences.includes(a)))]
  if (undeclared.length > 0) {
    throw badInput(
      'audience',
      `audience: ${undeclared.map((a) => JSON.stringify(a.slice(0, 200))).join(', ')} ${undeclared.length > 1 ? 'are' : 'is'} not among the audiences app ${JSON.stringify(app.id)} declares`,
      { undeclaredAudiences: undeclared.map((a) => a.slice(0, 200)) },
    )
  }
  return [...new Set(requested)]
}
