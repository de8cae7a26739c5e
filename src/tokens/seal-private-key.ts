import { ScopewardError } from '../errors.js'
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader, type JWK } from 'jose'

/** Thrown when a stored private key cannot be opened: wrong or missing master key, or a tampered row. */
export class SealedKeyError extends ScopewardError {
  constructor(message: string) {
    super('SEALED_KEY', message)
  }
}

/** The 32-byte master key from `SCOPEWARD_MASTER_KEY` (base64url), or null when none is configured. */
export function masterKeyBytes(masterKey: string | null): Uint8Array | null {
  return masterKey === null ? null : new Uint8Array(Buffer.from(masterKey, 'base64url'))
}

/**
 * Serialises a private JWK for the database: a compact JWE (`dir` + `A256GCM`) under the master
 * key when there is one, else plain JSON (then whoever reads the database file can sign tokens).
 */
export async function sealPrivateKey(jwk: JWK, kid: string, masterKey: Uint8Array | null): Promise<string> {
  const plaintext = new TextEncoder().encode(JSON.stringify(jwk))
  if (masterKey === null) return JSON.stringify(jwk)
  // kid in the protected (authenticated) header binds the ciphertext to its row: a JWE copied onto another row fails to open.
  return new CompactEncrypt(plaintext).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid, cty: 'jwk+json' }).encrypt(masterKey)
}

/** Opens what `sealPrivateKey` stored; a JWE needs the same master key and the same kid. */
export async function openPrivateKey(stored: string, kid: string, masterKey: Uint8Array | null): Promise<JWK> {
  if (stored.startsWith('{')) return JSON.parse(stored) as JWK
  if (masterKey === null) throw new SealedKeyError(`signing key ${kid} is encrypted: set SCOPEWARD_MASTER_KEY to the key it was stored with`)
  let header
  try {
    header = decodeProtectedHeader(stored)
  } catch {
    throw new SealedKeyError(`signing key ${kid}: stored private key is unreadable`)
  }
  if (header.kid !== kid) throw new SealedKeyError(`signing key ${kid}: stored private key belongs to another key`)
  try {
    const { plaintext } = await compactDecrypt(stored, masterKey, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] })
    return JSON.parse(new TextDecoder().decode(plaintext)) as JWK
  } catch {
    throw new SealedKeyError(`signing key ${kid} cannot be decrypted: SCOPEWARD_MASTER_KEY differs from the key it was stored with`)
  }
}
