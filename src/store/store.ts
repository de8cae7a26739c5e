// The storage contract now lives in the domain (domain/model.ts: entities and values; domain/ports.ts:
// the per-aggregate Store interfaces). What stays here is what only a store throws.

import { ScopewardError } from '../errors.js'

/** A write the signing-key rules forbid, refused inside the transaction (e.g. a plaintext key into a sealed database). */
export class KeyWriteRefused extends ScopewardError {
  constructor(message: string) {
    super('KEY_WRITE_REFUSED', message)
  }
}
