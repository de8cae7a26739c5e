import type { ClientSecretRecord } from './model.js'
import { administeredApp } from './apps.js'
import type { Actor } from './actor.js'
import type { Domain } from './context.js'

/**
 * The client secrets of an app, oldest first, as metadata (the hash never leaves the domain). Only
 * callers who may administer the app see them; others get NOT_FOUND as for a missing app.
 */
export async function listClientSecrets(domain: Domain, actor: Actor, appId: string): Promise<Omit<ClientSecretRecord, 'secretHash'>[]> {
  const app = await administeredApp(domain, actor, appId)
  const secrets = await domain.store.listClientSecrets(app.id)
  return secrets.map(({ secretHash: _hash, ...meta }) => meta)
}
