import { badInput, notFound } from '../errors.js'
import { effectiveScopes } from './authenticate.js'
import type { Call } from './actor.js'
import type { Domain } from './context.js'
import { maySeeToken } from './permissions.js'
import type { DeriveTokenInput } from './derive-token.js'
import { resolveExpiry } from './expiry.js'
import { assertHeld } from './grant.js'
import { createToken, DESCRIPTION_MAX, type IssuedToken } from './issue-token.js'
import { lookupToken } from './queries.js'
import { assertScopeList, normalizeScopes } from './scope-rules.js'
import { currentStatus, lifetimeEnd } from './token-status.js'
import { optionalText, requireText } from './validate.js'
import { parseConstraints } from './token-constraints.js'
import { retryStale } from './write-guard.js'

/**
 * Derives a child of the token `parentId` names on behalf of a caller other than that token (the
 * command line): the same rules as deriveToken (scopes within the parent's effective scopes, expiry
 * no later than its end, same app and subject, dies with its parent), with the caller recorded as
 * the actor instead of the parent.
 */
export async function deriveFromToken(domain: Domain, call: Call, parentId: string, input: DeriveTokenInput): Promise<IssuedToken> {
  return retryStale(async () => {
    const parent = await lookupToken(domain, parentId)
    if (!parent || !maySeeToken(call.actor, parent)) throw notFound('token', parentId)
    const app = await domain.store.getApp(parent.appId)
    if (!app) throw notFound('app', parent.appId)
    const status = app.disabledAt === null ? await currentStatus(domain, parent) : 'DISABLED'
    if (status !== 'ACTIVE') throw badInput('parent', `parent: token ${JSON.stringify(parent.id)} is ${status.toLowerCase()}; only an active token can be derived from`)
    const name = requireText(input.name, 'name')
    const description = optionalText(input.description, 'description', DESCRIPTION_MAX)
    if (input.scopes.length === 0) throw badInput('scopes', 'scopes: at least one scope is required')
    assertScopeList(input.scopes, domain.catalogue.implies, 'scopes')
    assertHeld(input.scopes, effectiveScopes(domain, parent, app), 'a derived token can only narrow its parent; the parent does not hold', 'scopes')
    const kind = input.kind ?? 'OPAQUE'
    const now = domain.clock()
    const expiresAt = resolveExpiry(domain, { app, kind, expiresIn: input.expiresIn, parentExpiresAt: lifetimeEnd(domain, parent, app), isDerived: true, now })
    return createToken(
      domain,
      call,
      {
        app,
        subject: parent.subject,
        name,
        description,
        kind,
        scopes: normalizeScopes(input.scopes),
        expiresAt,
        parentId: parent.id,
        createdAt: now,
        constraints: parseConstraints(input.constraints ?? {}),
      },
      'token.derive',
    )
  })
}
