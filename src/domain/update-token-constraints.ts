import { badInput, notFound } from '../errors.js'
import type { ConstraintSet, TokenRecord, WriteGuard } from './model.js'
import type { TokenConstraintChange } from './ports.js'
import type { Call } from './actor.js'
import { auditEvent, type Domain } from './context.js'
import { checkRequestedScopes } from './grant.js'
import { mayAdministerApp, maySeeApp, maySeeToken } from './permissions.js'
import { lookupToken } from './queries.js'
import { currentStatus } from './token-status.js'
import { assertWithin, constraintsOf, narrowedTo, parseConstraints, sameConstraints, storedConstraints, widened, widerMember, type ConstraintsInput } from './token-constraints.js'
import { StaleRead, allOf, callerGuard, retryStale, unchangedToken } from './write-guard.js'

/**
 * Replaces a token's constraints with `input` (a member left out is removed). Narrowing (the new
 * set lies within the current one, balance as of now) is open to whoever may manage the token;
 * widening needs the power to issue such a token: the caller administers the token's app and could
 * grant its scopes, the token is not the caller itself, and the new set still lies within the app's
 * maximum and (a derived token) its parent's. Each refusal names the member that widened
 * (ALLOWLIST_WIDENED, RATE_LIMIT_WIDENED, CREDITS_WIDENED) and writes nothing. Descendants are
 * narrowed with it in the same transaction, so none stays wider than its parent.
 */
export async function updateTokenConstraints(domain: Domain, call: Call, id: string, input: ConstraintsInput): Promise<TokenRecord> {
  return retryStale(() => updateOnce(domain, call, id, input))
}

async function updateOnce(domain: Domain, call: Call, id: string, input: ConstraintsInput): Promise<TokenRecord> {
  const { actor } = call
  const token = await lookupToken(domain, id)
  if (!token || !maySeeToken(actor, token)) throw notFound('token', id)
  if ((await currentStatus(domain, token)) !== 'ACTIVE') throw badInput('id', `id: token ${JSON.stringify(id)} is not active`)
  const app = await domain.store.getApp(token.appId)
  if (!app) throw notFound('token', id)
  const now = domain.clock()
  const next = parseConstraints(input)
  const current = constraintsOf(token, now)
  const wider = widerMember(next, current)
  if (wider) {
    const bound = 'what the caller may issue'
    const self = actor.kind === 'token' && actor.principal.token.id === token.id
    if (self || !maySeeApp(actor, app) || !mayAdministerApp(actor, app)) throw widened(wider.member, bound, `${wider.detail}, and widening needs the power to issue such a token`)
    try {
      checkRequestedScopes(domain, actor, app, token.scopes, 'scopes')
    } catch {
      throw widened(wider.member, bound, `${wider.detail}, and the caller could not issue a token with its scopes`)
    }
    assertWithin(next, app.tokenConstraints?.maximum ?? null, `the app's maximum`)
    if (token.parentId !== null) {
      const parent = await domain.store.getToken(token.parentId)
      if (parent) assertWithin(next, constraintsOf(parent, now), 'the parent token')
    }
  }
  const changes = await familyChanges(domain, token, next, now)
  const audit = auditEvent(domain, call, {
    action: 'token.constraints',
    target: token.id,
    appId: token.appId,
    details: { constraints: next, widened: wider !== null, narrowed: changes.slice(1).map((ch) => ch.id) },
  })
  await domain.store.setTokenConstraints(changes, audit, allOf(callerGuard(domain, actor), unchangedToken(token), sameRows([token, ...changes.slice(1).map((ch) => ch.row)])))
  return (await domain.store.getToken(token.id)) as TokenRecord
}

/** The token's new row values and its descendants' narrowed ones (only those that change), parents first. */
async function familyChanges(domain: Domain, token: TokenRecord, next: ConstraintSet, now: number): Promise<(TokenConstraintChange & { row: TokenRecord })[]> {
  const family = await domain.store.listTokenFamily(token.id)
  const rows = new Map((await domain.store.getTokens(family.map((f) => f.id))).map((t) => [t.id, t]))
  const sets = new Map<string, ConstraintSet>([[token.id, next]])
  const out: (TokenConstraintChange & { row: TokenRecord })[] = [{ id: token.id, ...storedConstraints(next, now, token), row: token }]
  // The balance keeps its refill clock unless the balance itself was set anew.
  const first = out[0] as TokenConstraintChange
  if (next.credits && token.creditsRemaining !== null && next.credits.remaining === constraintsOf(token, now).credits?.remaining) first.creditsRefilledAt = token.creditsRefilledAt
  for (const member of family) {
    if (member.id === token.id || member.parentId === null) continue
    const parentSet = sets.get(member.parentId)
    const row = rows.get(member.id)
    if (!parentSet || !row) continue
    const own = constraintsOf(row, now)
    const narrowed = narrowedTo(own, parentSet)
    sets.set(member.id, narrowed)
    if (sameConstraints(own, narrowed)) continue
    const stored = storedConstraints(narrowed, now, row)
    if (own.credits && narrowed.credits?.remaining === own.credits.remaining) stored.creditsRefilledAt = row.creditsRefilledAt
    out.push({ id: member.id, ...stored, row })
  }
  return out
}

/** The rows' constraints as the decision read them: a change since means deciding again (a credit spent meanwhile does not). */
function sameRows(rows: readonly TokenRecord[]): WriteGuard {
  const state = (t: TokenRecord): string => JSON.stringify(t.constraints)
  return {
    tokens: rows.map((t) => t.id),
    check: (found) => {
      for (const row of rows) {
        const now = found.tokens.get(row.id)
        if (!now || state(now) !== state(row)) throw new StaleRead(`token ${JSON.stringify(row.id)}`)
      }
    },
  }
}
