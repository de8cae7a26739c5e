import { createHash, createHmac, hkdfSync } from 'node:crypto'
import type { AuditEventInput } from './model.js'

/**
 * The hash that chains an audit event to its predecessor: any edit or deletion of a row breaks every
 * later link. With an audit key (derived from the master key) it is an HMAC-SHA-256, which no one
 * without the key can recompute; without one, a plain SHA-256, which anyone can.
 */
export function auditHash(previousHash: string, event: AuditEventInput, key: Uint8Array | null = null): string {
  const canonical = JSON.stringify([event.id, event.at, event.actor, event.appId, event.action, event.target, event.requestId, event.ip, event.details])
  const digest = key === null ? createHash('sha256') : createHmac('sha256', key)
  return digest.update(previousHash).update('\n').update(canonical).digest('hex')
}

/** The MAC of the chain's head (`meta.audit_head_tag`): deleting the newest events needs a tag no one without the key can make. */
export function auditHeadTag(key: Uint8Array, headHash: string): string {
  return createHmac('sha256', key).update('scopeward audit head\n').update(headHash).digest('hex')
}

/** The audit chain's key: HKDF-SHA-256 of the master key, so it never equals the key that seals signing keys. */
export function auditKeyOf(masterKey: Uint8Array | null): Uint8Array | null {
  return masterKey === null ? null : new Uint8Array(hkdfSync('sha256', masterKey, new Uint8Array(0), 'scopeward audit chain v1', 32))
}

/** The hash before the first event. */
export const GENESIS_HASH = '0'.repeat(64)
