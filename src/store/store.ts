// The storage contract now lives in the domain (domain/model.ts: entities and values; domain/ports.ts:
// the per-aggregate Store interfaces). What stays here is what only a store throws.

import { ScopewardError } from '../errors.js'

/** A write the signing-key rules forbid, refused inside the transaction (e.g. a plaintext key into a sealed database). */
export class KeyWriteRefused extends ScopewardError {
  constructor(message: string) {
    super('KEY_WRITE_REFUSED', message)
  }
}

// Transitional (issue 12): re-exports for branches written against the old location while they are
// merged. Import from domain/model.js and domain/ports.js instead; the lead removes these after the merge.
export type {
  AppChanges,
  AppRecord,
  AuditEventInput,
  AuditEventRecord,
  AuditFilter,
  ClientSecretRecord,
  GuardRows,
  Page,
  Position,
  ScopeRecord,
  ScopeUsage,
  SigningKeyRecord,
  SigningKeyStatus,
  StoreChange,
  TokenFilter,
  TokenKind,
  TokenRecord,
  TokenStatus,
  WriteGuard,
} from '../domain/model.js'
export { isPlaintextKey, KEYS_SEALED_META, rotatedKey } from '../domain/model.js'
export type { Store } from '../domain/ports.js'
