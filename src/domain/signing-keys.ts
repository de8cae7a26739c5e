import { badInput } from '../errors.js'
import type { AuditEventInput, SigningKeyStatus, WriteGuard } from './model.js'
import type { Call } from './actor.js'
import { auditEvent, type Domain } from './context.js'
import { assertInstanceAdmin } from './permissions.js'
import { callerGuard } from './write-guard.js'

/** A signing key as the API shows it: never the private half. */
export interface SigningKeyInfo {
  kid: string
  alg: string
  status: SigningKeyStatus
  createdAt: number
  retireAfter: number | null
  /** Published ahead of signing: it signs from this instant on; null: from its creation. */
  activatesAt: number | null
}

/** The key ring as the domain sees it; implemented by tokens/key-ring.ts. */
export interface SigningKeys {
  list(): Promise<SigningKeyInfo[]>
  /** A new ACTIVE key (`alg` null: the default); the previous one turns RETIRING, or with `revokeOld` RETIRED at once with its JWTs revoked. */
  rotate(alg: string | null, audit: AuditEventInput, revokeOld?: boolean, guard?: WriteGuard): Promise<SigningKeyInfo>
  isSupported(alg: string): boolean
}

/** Every signing key, oldest first. Public information (the JWKS publishes the same keys). */
export async function listSigningKeys(domain: Domain): Promise<SigningKeyInfo[]> {
  return domain.keys.list()
}

/**
 * Rotates the signing key: the new key is published at once and signs after the activation delay;
 * the old one keeps verifying until no unrevoked JWT it signed is usable. `revokeOld` (emergency):
 * the new key signs at once, every older key is RETIRED now and every JWT they signed is revoked.
 * Only root-app tokens (or the command line) may: the key signs for every app.
 */
export async function rotateSigningKey(domain: Domain, call: Call, alg: string | null | undefined, revokeOld = false): Promise<SigningKeyInfo> {
  assertInstanceAdmin(call.actor, 'only tokens of the root app may rotate the signing key', 'rotate the signing key')
  const keys = domain.keys
  if (alg != null && !keys.isSupported(alg)) throw badInput('alg', `alg: must be one of EdDSA, ES256, RS256, got ${JSON.stringify(alg)}`)
  if (typeof revokeOld !== 'boolean') throw badInput('revokeOld', 'revokeOld: must be true or false')
  const audit = auditEvent(domain, call, { action: 'key.rotate', target: null, appId: null, details: { alg: alg ?? null } })
  return keys.rotate(alg ?? null, audit, revokeOld, callerGuard(domain, call.actor))
}
