// Token lifecycle events: what a committed audit event means for tokens, apps and keys, one event
// per token it touched (a cascade's descendants included), and who may receive each. Derived from
// the audit log alone, so every instance derives the same events from the same rows
// (docs/subscriptions.md).
import type { AuditEventRecord, TokenRecord } from './model.js'
import { canSeeApp, canSeeToken, type Principal } from './context.js'

export const TOKEN_EVENT_TYPES = [
  'token.issued',
  'token.rotated',
  'token.revoked',
  'token.trimmed',
  'token.expiring',
  'token.expired',
  'app.disabled',
  'app.enabled',
  'key.rotated',
] as const

export type TokenEventType = (typeof TOKEN_EVENT_TYPES)[number]

/** The particulars of an event: ids and names only, never a secret. */
export interface TokenEventData {
  tokenId: string | null
  appId: string | null
  subject: string | null
  successorId: string | null
  reason: string | null
  revokedWith: string | null
  scopes: string[] | null
  kid: string | null
  actor: string | null
  auditEventId: string
  seq: number
}

export interface TokenEvent {
  type: TokenEventType
  /** Unique per event: the audit event's id, and the token's for an event about one token. */
  id: string
  at: number
  data: TokenEventData
}

/** Audit actions that create a token (the successor of a rotation is told by token.rotated). */
const ISSUING = new Set(['token.issue', 'token.issue_root', 'token.derive', 'token.client_credentials', 'instance.init'])

/** Audit actions the expiry sweeper appends (src/webhooks/expiry-sweeper.ts): their token event has the action's name. */
const ANNOUNCED = new Set(['token.expiring', 'token.expired'])

/** The token ids an audit event's token events are about: what must be read to place them in their app and subject. */
export function tokenIdsOf(event: AuditEventRecord): string[] {
  const d = event.details
  if (ISSUING.has(event.action) || ANNOUNCED.has(event.action) || event.action === 'token.rotate') return event.target ? [event.target] : []
  if (event.action === 'token.revoke' || event.action === 'token.leaked' || event.action === 'token.revoke_bulk' || event.action === 'key.rotate') return strings(d.revoked)
  if (event.action === 'token.trim') return changedOf(d).map((c) => c.id)
  return []
}

/**
 * The token events of one committed audit event, in order; none for an action that is not a
 * lifecycle event (scopes, client secrets, app settings). `tokens` holds the rows of
 * `tokenIdsOf(event)`, for each token's app and subject (the audit event's app stands in for a row
 * that cannot be read).
 */
export function tokenEventsOf(event: AuditEventRecord, tokens: ReadonlyMap<string, TokenRecord>): TokenEvent[] {
  const d = event.details
  const base = (type: TokenEventType, tokenId: string | null, extra: Partial<TokenEventData> = {}): TokenEvent => {
    const token = tokenId === null ? undefined : tokens.get(tokenId)
    return {
      type,
      id: tokenId === null ? event.id : `${event.id}:${tokenId}`,
      at: event.at,
      data: {
        tokenId,
        appId: token?.appId ?? event.appId,
        subject: token?.subject ?? null,
        successorId: null,
        reason: null,
        revokedWith: null,
        scopes: null,
        kid: null,
        actor: event.actor,
        auditEventId: event.id,
        seq: event.seq,
        ...extra,
      },
    }
  }
  if (ISSUING.has(event.action)) return event.target ? [base('token.issued', event.target)] : []
  switch (event.action) {
    case 'token.rotate':
      return event.target ? [base('token.rotated', event.target, { successorId: typeof d.successor === 'string' ? d.successor : null })] : []
    case 'token.revoke':
    case 'token.leaked':
    case 'token.revoke_bulk': {
      const reason = typeof d.reason === 'string' ? d.reason : null
      return strings(d.revoked).map((id) => base('token.revoked', id, { reason, revokedWith: event.action === 'token.revoke_bulk' ? null : event.target }))
    }
    case 'token.expiring':
    case 'token.expired':
      return event.target ? [base(event.action, event.target)] : []
    case 'token.trim':
      return changedOf(d).map((c) => base('token.trimmed', c.id, { scopes: c.scopes }))
    case 'app.disable':
    case 'app.enable':
      return [base(event.action === 'app.disable' ? 'app.disabled' : 'app.enabled', null, { appId: event.target ?? event.appId })]
    case 'key.rotate': {
      // An emergency rotation revokes the JWTs signed by the old keys: each is a token.revoked too.
      const reason = typeof d.reason === 'string' ? d.reason : 'signing key rotated in an emergency'
      const key = base('key.rotated', null, { appId: null, kid: typeof d.kid === 'string' ? d.kid : event.target })
      return [key, ...strings(d.revoked).map((id) => base('token.revoked', id, { reason }))]
    }
    default:
      return []
  }
}

/**
 * Whether `principal` may receive `event`: a token event within its token boundary (canSeeToken:
 * its app, its subject), an app event of an app it sees, a key event only across apps (a root-app
 * token acting for no subject).
 */
export function mayReceiveTokenEvent(principal: Principal, event: TokenEvent): boolean {
  const { tokenId, appId, subject } = event.data
  if (tokenId !== null) return appId !== null && canSeeToken(principal, { appId, subject })
  if (appId !== null) return canSeeApp(principal, { id: appId })
  return principal.app.isRoot && principal.token.subject === null
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

function changedOf(details: Record<string, unknown>): { id: string; scopes: string[] }[] {
  const changed = details.changed
  if (!Array.isArray(changed)) return []
  return changed.flatMap((c: unknown) => {
    const entry = c as { id?: unknown; scopes?: unknown }
    return typeof entry?.id === 'string' ? [{ id: entry.id, scopes: strings(entry.scopes) }] : []
  })
}
