// Webhook management (docs/webhooks.md): create, list, update, delete, rotate the signing secret,
// list and retry deliveries. A token manages the webhooks of its own app (and, of the root app, of
// every app); the secret is returned once, at creation and at rotation, and stored sealed
// (tokens/webhook-secret.ts). Every change is audited and commits with its audit event.

import { randomUUID } from 'node:crypto'
import { badInput, notFound } from '../errors.js'
import { generateWebhookSecret, sealWebhookSecret } from '../tokens/webhook-secret.js'
import type { Actor, Call } from './actor.js'
import { administeredApp } from './apps.js'
import { auditEvent, type Domain } from './context.js'
import { WEBHOOK_EVENT_TYPES, type WebhookDeliveryRecord, type WebhookDeliveryStatus, type WebhookEventType, type WebhookRecord } from './model.js'
import { actsAcrossApps, createdByOf, mayAdministerApp } from './permissions.js'
import { callerGuard } from './write-guard.js'

/** What the operator decided about webhooks (config.ts): whether plain http URLs are accepted, and the master key that seals secrets. */
export interface WebhookSettings {
  allowHttp: boolean
  masterKey: Uint8Array | null
}

export const MAX_WEBHOOK_URL_LENGTH = 2048

/** A webhook and its signing secret: the secret is shown this once. */
export interface WebhookWithSecret {
  webhook: WebhookRecord
  secret: string
}

/** Refuses a URL that is not absolute http(s) (https unless allowed), carries credentials or a fragment, or is too long. */
export function checkWebhookUrl(domain: Domain, url: string, field = 'url'): string {
  if (url.length > MAX_WEBHOOK_URL_LENGTH) throw badInput(field, `${field}: longer than ${MAX_WEBHOOK_URL_LENGTH} characters`)
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw badInput(field, `${field}: not an absolute URL`)
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && domain.webhooks.allowHttp)) {
    throw badInput(field, `${field}: must be an https URL${parsed.protocol === 'http:' ? ' (plain http is refused unless SCOPEWARD_WEBHOOK_ALLOW_HTTP=true)' : ''}`)
  }
  if (parsed.username || parsed.password) throw badInput(field, `${field}: must not carry credentials`)
  if (parsed.hash) throw badInput(field, `${field}: must not carry a fragment`)
  return parsed.toString()
}

function checkEvents(events: readonly string[], field = 'events'): WebhookEventType[] {
  if (events.length === 0) throw badInput(field, `${field}: name at least one event`)
  for (const e of events) {
    if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e))
      throw badInput(field, `${field}: ${JSON.stringify(e.slice(0, 50))} is not an event (one of ${WEBHOOK_EVENT_TYPES.join(', ')})`)
  }
  return [...new Set(events)] as WebhookEventType[]
}

/** The caller's own app, where it names none. */
function defaultAppId(actor: Actor): string {
  if (actor.kind === 'token') return actor.principal.app.id
  throw badInput('appId', 'appId: name the app whose events the webhook receives')
}

/** A webhook the caller may manage, else NOT_FOUND as for one that does not exist. */
export async function managedWebhook(domain: Domain, actor: Actor, id: string): Promise<WebhookRecord> {
  const webhook = await domain.store.getWebhook(id)
  if (!webhook) throw notFound('webhook', id)
  const app = await domain.store.getApp(webhook.appId)
  if (!app || !mayAdministerApp(actor, app)) throw notFound('webhook', id)
  return webhook
}

export async function createWebhook(domain: Domain, call: Call, input: { url: string; events: readonly string[]; appId?: string | null | undefined }): Promise<WebhookWithSecret> {
  const url = checkWebhookUrl(domain, input.url)
  const events = checkEvents(input.events)
  const app = await administeredApp(domain, call.actor, input.appId ?? defaultAppId(call.actor))
  const id = `wh_${randomUUID()}`
  const secret = generateWebhookSecret()
  const now = domain.clock()
  const webhook: WebhookRecord = {
    id,
    appId: app.id,
    url,
    events,
    secret: await sealWebhookSecret(secret, id, domain.webhooks.masterKey),
    status: 'ACTIVE',
    createdAt: now,
    updatedAt: now,
    failingSince: null,
    disabledAt: null,
    disabledReason: null,
    createdBy: createdByOf(call.actor),
  }
  await domain.store.insertWebhook(
    webhook,
    auditEvent(domain, call, { action: 'webhook.create', target: id, appId: app.id, details: { url, events } }),
    callerGuard(domain, call.actor),
  )
  return { webhook, secret }
}

export async function listWebhooks(domain: Domain, actor: Actor, options: { appId?: string | null | undefined } = {}): Promise<WebhookRecord[]> {
  if (options.appId != null) {
    await administeredApp(domain, actor, options.appId)
    return domain.store.listWebhooks({ appId: options.appId })
  }
  if (actsAcrossApps(actor)) return domain.store.listWebhooks({})
  if (actor.kind !== 'token' || !mayAdministerApp(actor, actor.principal.app)) return []
  return domain.store.listWebhooks({ appId: actor.principal.app.id })
}

export async function getWebhook(domain: Domain, actor: Actor, id: string): Promise<WebhookRecord> {
  return managedWebhook(domain, actor, id)
}

/** Changes the URL, the events, or enables/disables; enabling clears the failure record. */
export async function updateWebhook(
  domain: Domain,
  call: Call,
  id: string,
  input: { url?: string | null | undefined; events?: readonly string[] | null | undefined; enabled?: boolean | null | undefined },
): Promise<WebhookRecord> {
  const webhook = await managedWebhook(domain, call.actor, id)
  const now = domain.clock()
  const changes: Partial<WebhookRecord> = { updatedAt: now }
  if (input.url != null) changes.url = checkWebhookUrl(domain, input.url)
  if (input.events != null) changes.events = checkEvents(input.events)
  if (input.enabled === true && webhook.status !== 'ACTIVE') Object.assign(changes, { status: 'ACTIVE', failingSince: null, disabledAt: null, disabledReason: null })
  if (input.enabled === false && webhook.status !== 'DISABLED') Object.assign(changes, { status: 'DISABLED', disabledAt: now, disabledReason: 'disabled by request' })
  const { updatedAt: _, ...shown } = changes
  const updated = await domain.store.updateWebhook(
    id,
    changes,
    auditEvent(domain, call, { action: 'webhook.update', target: id, appId: webhook.appId, details: shown }),
    callerGuard(domain, call.actor),
  )
  if (!updated) throw notFound('webhook', id)
  return { ...webhook, ...changes }
}

export async function deleteWebhook(domain: Domain, call: Call, id: string): Promise<WebhookRecord> {
  const webhook = await managedWebhook(domain, call.actor, id)
  const deleted = await domain.store.deleteWebhook(id, auditEvent(domain, call, { action: 'webhook.delete', target: id, appId: webhook.appId }), callerGuard(domain, call.actor))
  if (!deleted) throw notFound('webhook', id)
  return webhook
}

/** A new signing secret, shown once; the old one stops signing at once. */
export async function rotateWebhookSecret(domain: Domain, call: Call, id: string): Promise<WebhookWithSecret> {
  const webhook = await managedWebhook(domain, call.actor, id)
  const secret = generateWebhookSecret()
  const sealed = await sealWebhookSecret(secret, id, domain.webhooks.masterKey)
  const now = domain.clock()
  const updated = await domain.store.updateWebhook(
    id,
    { secret: sealed, updatedAt: now },
    auditEvent(domain, call, { action: 'webhook.rotate_secret', target: id, appId: webhook.appId }),
    callerGuard(domain, call.actor),
  )
  if (!updated) throw notFound('webhook', id)
  return { webhook: { ...webhook, secret: sealed, updatedAt: now }, secret }
}

const DELIVERY_STATUSES: readonly WebhookDeliveryStatus[] = ['PENDING', 'DELIVERED', 'FAILED']

/** Deliveries the caller may see (of its app's webhooks; the root app's tokens see all), newest first. */
export async function listWebhookDeliveries(
  domain: Domain,
  actor: Actor,
  options: { webhookId?: string | null | undefined; status?: string | null | undefined; first?: number | null | undefined },
): Promise<WebhookDeliveryRecord[]> {
  const limit = Math.min(Math.max(options.first ?? 50, 1), 500)
  if (options.status != null && !(DELIVERY_STATUSES as readonly string[]).includes(options.status)) {
    throw badInput('status', `status: one of ${DELIVERY_STATUSES.join(', ')}`)
  }
  const status = (options.status ?? undefined) as WebhookDeliveryStatus | undefined
  if (options.webhookId != null) {
    await managedWebhook(domain, actor, options.webhookId)
    return domain.store.listWebhookDeliveries({ webhookId: options.webhookId, status, limit })
  }
  if (actsAcrossApps(actor)) return domain.store.listWebhookDeliveries({ status, limit })
  if (actor.kind !== 'token' || !mayAdministerApp(actor, actor.principal.app)) return []
  return domain.store.listWebhookDeliveries({ appId: actor.principal.app.id, status, limit })
}

/** Attempts a delivery again at once, its attempts counted from zero (a FAILED one too). */
export async function retryWebhookDelivery(domain: Domain, call: Call, id: string): Promise<WebhookDeliveryRecord> {
  const delivery = await domain.store.getWebhookDelivery(id)
  if (!delivery) throw notFound('delivery', id)
  const webhook = await managedWebhook(domain, call.actor, delivery.webhookId).catch(() => {
    throw notFound('delivery', id)
  })
  const now = domain.clock()
  const done = await domain.store.retryWebhookDelivery(
    id,
    now,
    auditEvent(domain, call, { action: 'webhook.retry_delivery', target: id, appId: webhook.appId, details: { webhookId: webhook.id } }),
    callerGuard(domain, call.actor),
  )
  if (!done) throw notFound('delivery', id)
  return (await domain.store.getWebhookDelivery(id)) ?? delivery
}
