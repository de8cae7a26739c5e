import { formatDuration } from '../domain/duration.js'
import { clientSecretOfActor } from '../domain/actor.js'
import { iso } from './output.js'
import type { AppRecord, AuditEventRecord, ClientSecretRecord, ScopeRecord, SigningKeyInfo, TokenRecord, TokenStatus } from './model.js'

// One JSON shape per entity, with the GraphQL API's field names and ISO 8601 times (null stays
// null): a script written against the API reads the command line's `--json` the same way.

export interface AppRef {
  id: string
  name: string
}

export function tokenJson(token: TokenRecord, status: TokenStatus, app: AppRef | null) {
  const credential = clientSecretOfActor(token.createdBy)
  return {
    id: token.id,
    name: token.name,
    description: token.description ?? null,
    app: app ?? { id: token.appId, name: null },
    subject: token.subject,
    kind: token.kind,
    scopes: token.scopes,
    status,
    createdAt: iso(token.createdAt),
    expiresAt: iso(token.expiresAt),
    revokedAt: iso(token.revokedAt),
    revokeReason: token.revokeReason,
    lastUsedAt: iso(token.lastUsedAt),
    createdBy: token.createdBy !== null && credential === null ? { id: token.createdBy } : null,
    createdByCredential: credential,
    parent: token.parentId !== null ? { id: token.parentId } : null,
    constraints: constraintsJson(token),
  }
}

/** A token's constraints as the API's Token.constraints names them (the balance as stored; no rate-limit state: nothing serves here). */
function constraintsJson(token: TokenRecord) {
  const c = token.constraints
  if (!c?.allowedCidrs && !c?.rateLimit && token.creditsRemaining === null) return null
  return {
    allowedCidrs: c?.allowedCidrs ?? null,
    rateLimit: c?.rateLimit ? { limit: c.rateLimit.limit, window: formatDuration(c.rateLimit.windowMs) } : null,
    credits:
      token.creditsRemaining !== null
        ? {
            remaining: token.creditsRemaining,
            refill: c?.credits?.refill ? { amount: c.credits.refill.amount, interval: formatDuration(c.credits.refill.intervalMs) } : null,
          }
        : null,
  }
}
export type TokenJson = ReturnType<typeof tokenJson>

export function appJson(app: AppRecord) {
  return {
    id: app.id,
    name: app.name,
    description: app.description,
    allowedScopes: app.allowedScopes,
    maxTokenLifetime: app.maxTokenLifetimeMs === null ? null : formatDuration(app.maxTokenLifetimeMs),
    isRoot: app.isRoot,
    createdAt: iso(app.createdAt),
    disabledAt: iso(app.disabledAt),
    audiences: app.audiences,
  }
}

export function scopeJson(scope: Pick<ScopeRecord, 'name' | 'description' | 'implies' | 'builtIn'>) {
  return { name: scope.name, description: scope.description, implies: scope.implies, builtIn: scope.builtIn }
}

export function clientSecretJson(secret: Omit<ClientSecretRecord, 'secretHash'>) {
  return { id: secret.id, appId: secret.appId, scopes: secret.scopes, createdAt: iso(secret.createdAt), revokedAt: iso(secret.revokedAt), lastUsedAt: iso(secret.lastUsedAt) }
}

export function signingKeyJson(key: SigningKeyInfo) {
  return { kid: key.kid, alg: key.alg, status: key.status, createdAt: iso(key.createdAt), retireAfter: iso(key.retireAfter), activatesAt: iso(key.activatesAt) }
}

/** An audit event; `details` is the object itself (the API sends it as a JSON string), and `seq`/`hash` anchor the chain. */
export function auditEventJson(event: AuditEventRecord) {
  return {
    seq: event.seq,
    id: event.id,
    at: iso(event.at),
    actor: event.actor,
    appId: event.appId,
    action: event.action,
    target: event.target,
    requestId: event.requestId,
    ip: event.ip,
    details: event.details,
    hash: event.hash,
  }
}

export function gapJson(gap: { from: number; to: number }) {
  return { from: iso(gap.from), to: iso(gap.to) }
}
