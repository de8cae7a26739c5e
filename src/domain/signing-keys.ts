import { ScopewardError, badInput } from '../errors.js'
import type { AuditEventInput, SigningKeyStatus, WriteGuard } from '../store/store.js'
import { assertNoSubject, auditEvent, type Domain, type Principal, type RequestInfo } from './context.js'
import { callerGuard } from './write-guard.js'

/** A signing key as the API shows it: never the private half. */
export interface SigningKeyInfo {
  kid: string
  alg: string
  status: SigningKeyStatus
  createdAt: number
  retireAfter: number | null
}

/** The key ring as the domain sees it; implemented by tokens/key-ring.ts. */
export interface SigningKeys {
  list(): Promise<SigningKeyInfo[]>
  /** A new ACTIVE key (`alg` null: the default); the previous one turns RETIRING. */
  rotate(alg: string | null, audit: AuditEventInput, guard?: WriteGuard): Promise<SigningKeyInfo>
  isSupported(alg: string): boolean
}

function keysOf(domain: Domain): SigningKeys {
  if (!domain.keys) throw new ScopewardError('BAD_USER_INPUT', 'signing keys are not available on this server')
  return domain.keys
}

/** Every signing key, oldest first. Public information (the JWKS publishes the same keys). */
export async function listSigningKeys(domain: Domain): Promise<SigningKeyInfo[]> {
  return keysOf(domain).list()
}

/**
 * Rotates the signing key: the new key signs at once, the old one keeps verifying until every
 * token it could have signed has expired. Only root-app tokens (or the command line) may: the key
 * signs for every app.
 */
export async function rotateSigningKey(domain: Domain, principal: Principal | null, request: RequestInfo, alg: string | null | undefined): Promise<SigningKeyInfo> {
  if (principal && !principal.app.isRoot) throw new ScopewardError('FORBIDDEN', 'only tokens of the root app may rotate the signing key')
  assertNoSubject(principal, 'rotate the signing key')
  const keys = keysOf(domain)
  if (alg != null && !keys.isSupported(alg)) throw badInput('alg', `alg: must be one of EdDSA, ES256, RS256, got ${JSON.stringify(alg)}`)
  const audit = auditEvent(domain, principal, request, { action: 'key.rotate', target: null, appId: null, details: { alg: alg ?? null } })
  return keys.rotate(alg ?? null, audit, callerGuard(domain, principal))
}
