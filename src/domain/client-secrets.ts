import { ScopewardError, badInput, notFound } from '../errors.js'
import type { AppRecord, ClientSecretRecord } from './model.js'
import { generateClientSecret, parseClientSecret } from '../tokens/client-secret.js'
import { hashSecret, secretMatches } from '../tokens/opaque-token.js'
import { administeredApp, visibleApp } from './apps.js'
import type { Actor, Call } from './actor.js'
import { auditEvent, type Domain } from './context.js'
import { createdByOf, mayAdministerApp } from './permissions.js'
import { checkRequestedScopes, grantableScopes } from './grant.js'
import { normalizeScopes } from './scope-rules.js'
import { allOf, callerGuard, retryStale, unchangedApp } from './write-guard.js'

/** A new client secret and its plaintext: returned once, never stored. */
export interface IssuedClientSecret {
  record: ClientSecretRecord
  secret: string
}

/** An app authenticated by one of its client secrets: the secret bounds what the client may do. */
export interface AuthenticatedClient {
  app: AppRecord
  secret: ClientSecretRecord
}

/**
 * Creates a client secret for an app, the credential of `/oauth/token` (client_id = app id). An app
 * may hold several, so a secret can be rotated without downtime. Minting a credential is granting:
 * the secret carries its own ceiling, at most what its creator could grant directly for the app
 * (`scopes`, checked like issueToken's), by default exactly that. Other apps' callers, and tokens
 * acting for a subject, get NOT_FOUND.
 */
export async function createClientSecret(domain: Domain, call: Call, appId: string, scopes?: readonly string[] | null): Promise<IssuedClientSecret> {
  return retryStale(() => createSecretOnce(domain, call, appId, scopes))
}

async function createSecretOnce(domain: Domain, call: Call, appId: string, scopes?: readonly string[] | null): Promise<IssuedClientSecret> {
  const app = await administeredApp(domain, call.actor, appId)
  const ceiling = scopes != null ? checkRequestedScopes(domain, call.actor, app, scopes, 'scopes') : defaultCeiling(domain, call.actor, app)
  const generated = generateClientSecret()
  const record: ClientSecretRecord = {
    id: generated.id,
    appId: app.id,
    secretHash: hashSecret(generated.secret),
    createdAt: domain.clock(),
    revokedAt: null,
    scopes: ceiling,
    createdBy: createdByOf(call.actor),
    lastUsedAt: null,
  }
  await domain.store.insertClientSecret(
    record,
    auditEvent(domain, call, { action: 'client_secret.create', target: record.id, appId: app.id, details: { scopes: ceiling } }),
    allOf(callerGuard(domain, call.actor), unchangedApp(app)),
  )
  return { record, secret: generated.plaintext }
}

/** Everything the creator could grant for the app; refused when that is nothing (such a secret could do nothing). */
function defaultCeiling(domain: Domain, actor: Actor, app: AppRecord): string[] {
  const allowed = domain.catalogue.close(app.allowedScopes)
  const ceiling = normalizeScopes([...grantableScopes(domain, actor)].filter((s) => allowed.has(s)))
  if (ceiling.length === 0)
    throw badInput('scopes', `scopes: the calling token holds no scope app ${JSON.stringify(app.id)} allows, so a client secret it creates could grant nothing`)
  return ceiling
}

/** Revokes a client secret; revoking a revoked one changes nothing. Other apps' secrets (and any, for a subject's token) are NOT_FOUND. */
export async function revokeClientSecret(domain: Domain, call: Call, id: string): Promise<ClientSecretRecord> {
  // The full secret pasted where its id is expected names it, by its hash (a wrong secret names nothing).
  const pasted = parseClientSecret(id)
  const found = await domain.store.getClientSecret(pasted ? pasted.id : id)
  const record = found && (!pasted || secretMatches(pasted.secret, found.secretHash)) ? found : null
  const app = record ? await domain.store.getApp(record.appId) : null
  if (!record || !app || !mayAdministerApp(call.actor, app)) throw notFound('client secret', id)
  if (record.revokedAt === null) {
    await domain.store.revokeClientSecret(
      record.id,
      domain.clock(),
      auditEvent(domain, call, { action: 'client_secret.revoke', target: record.id, appId: app.id }),
      callerGuard(domain, call.actor),
    )
  }
  return (await domain.store.getClientSecret(record.id)) as ClientSecretRecord
}

/**
 * The scopes a client secret may put in a token or use itself, closed under implies: its own
 * ceiling. A secret created before secrets had ceilings (null) may do nothing: refused, never widened.
 */
export function clientSecretScopes(domain: Domain, secret: ClientSecretRecord): ReadonlySet<string> {
  if (secret.scopes === null) {
    throw new ScopewardError('FORBIDDEN', `client secret ${secret.id} predates per-secret scope ceilings and grants nothing; create a new client secret for the app`)
  }
  return domain.catalogue.close(secret.scopes)
}

/**
 * The app and secret a pair of client credentials authenticates, or null. Every failure (bad shape, unknown,
 * another app's secret, revoked, wrong secret, disabled app) gives the same null; the hash is compared in constant time.
 */
export async function authenticateClient(domain: Domain, clientId: string, presented: string): Promise<AuthenticatedClient | null> {
  const parsed = parseClientSecret(presented)
  if (!parsed) return null
  const record = await domain.store.getClientSecret(parsed.id)
  if (!record || record.revokedAt !== null || record.appId !== clientId) return null
  if (!secretMatches(parsed.secret, record.secretHash)) return null
  const app = await domain.store.getApp(record.appId)
  return app && app.disabledAt === null ? { app, secret: record } : null
}

/** The client secrets of an app the caller may see (NOT_FOUND otherwise). */
export async function listClientSecrets(domain: Domain, actor: Actor, appId: string): Promise<ClientSecretRecord[]> {
  await visibleApp(domain, actor, appId)
  return domain.store.listClientSecrets(appId)
}
