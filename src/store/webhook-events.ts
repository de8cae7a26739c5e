// The webhook events of a committed write: derived from its WriteEffect (what the store method
// changed, cascades included) and its audit event, and written by the write protocol in the write's
// own transaction (docs/webhooks.md). Like `noticesOf`, the switch is exhaustive: a new kind of
// write does not compile until it says which webhook events it causes.

import { timeOrderedUuid } from '../time-ordered-id.js'
import type { AuditEventInput, WebhookEventInput, WebhookEventType } from '../domain/model.js'
import type { WriteEffect } from './outbox.js'

export function webhookEventsOf(audit: AuditEventInput, effect: WriteEffect): WebhookEventInput[] {
  const event = (type: WebhookEventType, subject: string, data: Record<string, unknown> = {}): WebhookEventInput => ({
    id: `evt_${timeOrderedUuid(audit.at)}`,
    type,
    at: audit.at,
    subject,
    data: { ...data, actor: audit.actor },
  })
  const reason = typeof audit.details.reason === 'string' ? audit.details.reason : null
  switch (effect.write) {
    case 'initialize':
    case 'insertScope':
    case 'insertApp':
    case 'retireSigningKeys':
    case 'sealSigningKeys':
    case 'insertClientSecret':
    case 'revokeClientSecret':
    case 'webhook':
    case 'setTokenConstraints':
    case 'tokenEvent':
      return []
    case 'updateApp':
      if (effect.disabledAt === undefined) return []
      return [event(effect.disabledAt === null ? 'app.enabled' : 'app.disabled', effect.appId)]
    case 'expiryAnnounced': {
      const { type, tokenId, data } = effect.announcement
      return [event(type, tokenId, data)]
    }
    case 'insertToken':
      return [event('token.issued', effect.tokenId)]
    case 'rotateToken':
      // Under the old token's id, so that it follows the old token's earlier events; the successor's is in `data`.
      return [event('token.rotated', effect.oldId, { successorId: effect.successorId })]
    case 'revokeTokens':
      return effect.revoked.map((id) => event('token.revoked', id, { reason, cascade: effect.revoked.length > 1 }))
    case 'narrowTokenScopes':
      return effect.scopes.map((ch) => event('token.trimmed', ch.id, { scopes: ch.scopes }))
    case 'insertSigningKey':
      return [
        event('key.rotated', effect.kid, { kid: effect.kid, emergency: effect.revoked.length > 0 }),
        ...effect.revoked.map((id) => event('token.revoked', id, { reason: 'emergency signing key rotation', cascade: true })),
      ]
  }
}
