import { createHash } from 'node:crypto'
import type { AuditEventInput } from './store.js'

/** The hash that chains an audit event to its predecessor: any edit or deletion of a row breaks every later link. */
export function auditHash(previousHash: string, event: AuditEventInput): string {
  const canonical = JSON.stringify([event.id, event.at, event.actor, event.appId, event.action, event.target, event.requestId, event.ip, event.details])
  return createHash('sha256').update(previousHash).update('\n').update(canonical).digest('hex')
}

/** The hash before the first event. */
export const GENESIS_HASH = '0'.repeat(64)
