import { badInput, notFound } from '../errors.js'
import type { TokenKind } from './model.js'
import type { Call, TokenActor } from './actor.js'
import type { Domain } from './context.js'
import { resolveExpiry } from './expiry.js'
import { createToken, DESCRIPTION_MAX, type IssuedToken } from './issue-token.js'
import { assertHeld } from './grant.js'
import { assertScopeList, normalizeScopes } from './scope-rules.js'
import { lifetimeEnd } from './token-status.js'
import { optionalText, requireText } from './validate.js'
import { parseConstraints, type ConstraintsInput } from './token-constraints.js'
import { retryStale } from './write-guard.js'

export interface DeriveTokenInput {
  name: string
  /** What the child is for (at most 500 characters). */
  description?: string | null | undefined
  scopes: readonly string[]
  expiresIn?: string | null | undefined
  kind?: TokenKind | null | undefined
  /** RFC 8693 delegation: the actor the new JWT acts for (`act` claim). */
  act?: Record<string, unknown> | undefined
  /** Stricter constraints than the parent's (each member left out is inherited). */
  constraints?: ConstraintsInput | null | undefined
}

/**
 * Narrows the calling token into a child: scopes within the caller's effective scopes, expiry
 * no later than the caller's. The child belongs to the same app and subject and dies with its parent.
 */
export async function deriveToken(domain: Domain, call: Call<TokenActor>, input: DeriveTokenInput): Promise<IssuedToken> {
  return retryStale(() => deriveOnce(domain, call, input))
}

async function deriveOnce(domain: Domain, call: Call<TokenActor>, input: DeriveTokenInput): Promise<IssuedToken> {
  const { principal } = call.actor
  const name = requireText(input.name, 'name')
  const description = optionalText(input.description, 'description', DESCRIPTION_MAX)
  if (input.scopes.length === 0) throw badInput('scopes', 'scopes: at least one scope is required')
  assertScopeList(input.scopes, domain.catalogue.implies, 'scopes')
  assertHeld(input.scopes, principal.scopes, 'a derived token can only narrow its parent; the calling token does not hold', 'scopes')
  const app = await domain.store.getApp(principal.app.id)
  if (!app) throw notFound('app', principal.app.id)
  const kind = input.kind ?? 'OPAQUE'
  const now = domain.clock()
  const expiresAt = resolveExpiry(domain, { app, kind, expiresIn: input.expiresIn, parentExpiresAt: lifetimeEnd(domain, principal.token, principal.app), isDerived: true, now })
  const scopes = normalizeScopes(input.scopes)
  const constraints = parseConstraints(input.constraints ?? {})
  return createToken(
    domain,
    call,
    {
      app,
      subject: principal.token.subject,
      name,
      description,
      kind,
      scopes,
      expiresAt,
      parentId: principal.token.id,
      createdAt: now,
      constraints,
      ...(input.act ? { act: input.act } : {}),
    },
    'token.derive',
  )
}
