// The fan-out of webhook events to deliveries, for both dialects: which webhooks receive an event,
// and the payload each is sent (`{type, id, timestamp, data}`, never a secret). The dialects read
// the rows and write the result in one transaction (sqlite/webhooks.ts, pg/webhooks.ts).

import { timeOrderedUuid } from '../time-ordered-id.js'
import type { AppRecord, TokenRecord, WebhookDeliveryRecord, WebhookEventType, WebhookRecord } from '../domain/model.js'
import type * as pg from './pg-schema.js'
import type * as lite from './sqlite-schema.js'

type WebhookRow = typeof lite.webhooks.$inferSelect | typeof pg.webhooks.$inferSelect
type DeliveryRow = typeof lite.webhookDeliveries.$inferSelect | typeof pg.webhookDeliveries.$inferSelect
export type WebhookEventRow = typeof lite.webhookEvents.$inferSelect | typeof pg.webhookEvents.$inferSelect

export const webhookRecord = (r: WebhookRow): WebhookRecord => ({
  id: r.id,
  appId: r.appId,
  url: r.url,
  events: r.events as WebhookRecord['events'],
  secret: r.secret,
  status: r.status,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
  failingSince: r.failingSince,
  disabledAt: r.disabledAt,
  disabledReason: r.disabledReason,
  createdBy: r.createdBy,
})

export const deliveryRecord = (r: DeliveryRow): WebhookDeliveryRecord => ({
  id: r.id,
  webhookId: r.webhookId,
  eventId: r.eventId,
  eventType: r.eventType as WebhookEventType,
  payload: r.payload,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.nextAttemptAt,
  createdAt: r.createdAt,
  lastAttemptAt: r.lastAttemptAt,
  lastStatusCode: r.lastStatusCode,
  lastError: r.lastError,
  lastResponseBody: r.lastResponseBody,
  deliveredAt: r.deliveredAt,
})

/** A token as a payload shows it: no secret hash, nothing that authenticates. */
function tokenSummary(t: TokenRecord): Record<string, unknown> {
  return {
    id: t.id,
    appId: t.appId,
    name: t.name,
    subject: t.subject,
    kind: t.kind,
    scopes: t.scopes,
    parentId: t.parentId,
    createdAt: new Date(t.createdAt).toISOString(),
    expiresAt: t.expiresAt === null ? null : new Date(t.expiresAt).toISOString(),
    revokedAt: t.revokedAt === null ? null : new Date(t.revokedAt).toISOString(),
  }
}

/** The rows fan-out needs besides the events: the subjects' tokens and apps, and the webhooks. */
export interface FanOutRows {
  webhooks: readonly WebhookRecord[]
  tokens: ReadonlyMap<string, TokenRecord>
  apps: ReadonlyMap<string, AppRecord>
}

export type NewDelivery = typeof lite.webhookDeliveries.$inferInsert & typeof pg.webhookDeliveries.$inferInsert

/** The deliveries of `events`, in event order. */
export function deliveriesOf(events: readonly WebhookEventRow[], rows: FanOutRows, now: number): NewDelivery[] {
  const out: NewDelivery[] = []
  for (const e of events) {
    const type = e.type as WebhookEventType
    let appId: string | null = null
    let data: Record<string, unknown> = { ...e.data }
    if (type.startsWith('token.')) {
      const token = rows.tokens.get(e.subject)
      if (!token) continue
      appId = token.appId
      data = { token: { ...tokenSummary(token), ...(type === 'token.trimmed' ? { scopes: e.data.scopes } : {}) }, ...e.data }
    } else if (type.startsWith('app.')) {
      const app = rows.apps.get(e.subject)
      appId = e.subject
      data = { app: { id: e.subject, name: app?.name ?? null }, ...e.data }
    }
    const payload = JSON.stringify({ type, id: e.id, timestamp: new Date(e.at).toISOString(), data })
    for (const w of rows.webhooks) {
      if (w.status !== 'ACTIVE' || !w.events.includes(type) || w.createdAt > e.at) continue
      // A root app's webhook sees every app's events; another app's sees its own (key events are the instance's: root only).
      if (!rows.apps.get(w.appId)?.isRoot && w.appId !== appId) continue
      out.push({
        id: `dlv_${timeOrderedUuid(now)}`,
        webhookId: w.id,
        appId: w.appId,
        eventId: e.id,
        eventType: type,
        subject: e.subject,
        payload,
        status: 'PENDING',
        attempts: 0,
        nextAttemptAt: now,
        createdAt: now,
      })
    }
  }
  return out
}
