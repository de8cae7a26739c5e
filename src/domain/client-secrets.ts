import { notFound } from '../errors.js'
import type { AppRecord, ClientSecretRecord } from '../store/store.js'
import { generateClientSecret, parseClientSecret } from '../tokens/client-secret.js'
import { hashSecret, secretMatches } from '../tokens/opaque-token.js'
import { auditEvent, canSeeApp, type Domain, type Principal, type RequestInfo } from './context.js'

/** A new client secret and its plaintext: returned once, never stored. */
export interface IssuedClientSecret {
  record: ClientSecretRecord
  secret: string
}

/**
 * Creates a client secret for an app, the credential of `/oauth/token` (client_id = app id). An app
 * may hold several, so a secret can be rotated without downtime. Other apps' callers get NOT_FOUND.
 */
export async function createClientSecret(domain: Domain, principal: Principal | null, request: RequestInfo, appId: string): Promise<IssuedClientSecret> {
  const app = await domain.store.getApp(appId)
  if (!app || (principal && !canSeeApp(principal, app))) throw notFound('app', appId)
  const generated = generateClientSecret()
  const record: ClientSecretRecord = { id: generated.id, appId: app.id, secretHash: hashSecret(generated.secret), createdAt: domain.clock(), revokedAt: null, scopes: null, createdBy: principal?.token.id ?? null, lastUsedAt: null }
  await domain.store.insertClientSecret(record, auditEvent(domain, principal, request, { action: 'client_secret.create', target: record.id, appId: app.id }))
  return { record, secret: generated.plaintext }
}

/** Revokes a client secret; revoking a revoked one changes nothing. Other apps' secrets are NOT_FOUND. */
export async function revokeClientSecret(domain: Domain, principal: Principal | null, request: RequestInfo, id: string): Promise<ClientSecretRecord> {
  // The full secret pasted where its id is expected names it, by its hash (a wrong secret names nothing).
  const pasted = parseClientSecret(id)
  const found = await domain.store.getClientSecret(pasted ? pasted.id : id)
  const record = found && (!pasted || secretMatches(pasted.secret, found.secretHash)) ? found : null
  const app = record ? await domain.store.getApp(record.appId) : null
  if (!record || !app || (principal && !canSeeApp(principal, app))) throw notFound('client secret', id)
  if (record.revokedAt === null) {
    await domain.store.revokeClientSecret(record.id, domain.clock(), auditEvent(domain, principal, request, { action: 'client_secret.revoke', target: record.id, appId: app.id }))
  }
  return (await domain.store.getClientSecret(record.id)) as ClientSecretRecord
}

/**
 * The app a pair of client credentials authenticates, or null. Every failure (bad shape, unknown,
 * another app's secret, revoked, wrong secret, disabled app) gives the same null; the hash is compared in constant time.
 */
export async function authenticateClient(domain: Domain, clientId: string, presented: string): Promise<AppRecord | null> {
  const parsed = parseClientSecret(presented)
  if (!parsed) return null
  const record = await domain.store.getClientSecret(parsed.id)
  if (!record || record.revokedAt !== null || record.appId !== clientId) return null
  if (!secretMatches(parsed.secret, record.secretHash)) return null
  const app = await domain.store.getApp(record.appId)
  return app && app.disabledAt === null ? app : null
}
