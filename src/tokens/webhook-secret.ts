// Webhook signing secrets (docs/webhooks.md): `whsec_` + base64 of 32 random bytes, as Standard
// Webhooks writes them. The server must read the secret back to sign with it (HMAC), so it cannot be
// hashed: it is sealed under the master key exactly as private signing keys are
// (seal-private-key.ts: a compact JWE, dir + A256GCM, bound to its row by the webhook id in the
// protected header); without a master key it is stored as it is, like a plaintext signing key.

import { randomBytes } from 'node:crypto'
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose'
import { SealedKeyError } from './seal-private-key.js'

export const WEBHOOK_SECRET_PREFIX = 'whsec_'

export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64')
}

/** The HMAC key of a secret: the base64-decoded part after `whsec_`. */
export function webhookKeyOf(secret: string): Buffer {
  return Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64')
}

/** What the database holds for a secret: a JWE under the master key, or the secret itself without one. */
export async function sealWebhookSecret(secret: string, webhookId: string, masterKey: Uint8Array | null): Promise<string> {
  if (masterKey === null) return secret
  return new CompactEncrypt(new TextEncoder().encode(secret)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: webhookId, cty: 'webhook-secret' }).encrypt(masterKey)
}

/** Opens what `sealWebhookSecret` stored; a JWE needs the same master key and the same webhook id. */
export async function openWebhookSecret(stored: string, webhookId: string, masterKey: Uint8Array | null): Promise<string> {
  if (stored.startsWith(WEBHOOK_SECRET_PREFIX)) return stored
  if (masterKey === null) throw new SealedKeyError(`webhook ${webhookId}: its secret is encrypted: set SCOPEWARD_MASTER_KEY to the key it was stored with`)
  let header
  try {
    header = decodeProtectedHeader(stored)
  } catch {
    throw new SealedKeyError(`webhook ${webhookId}: stored secret is unreadable`)
  }
  if (header.kid !== webhookId) throw new SealedKeyError(`webhook ${webhookId}: stored secret belongs to another webhook`)
  try {
    const { plaintext } = await compactDecrypt(stored, masterKey, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] })
    return new TextDecoder().decode(plaintext)
  } catch {
    throw new SealedKeyError(`webhook ${webhookId}: its secret cannot be decrypted: SCOPEWARD_MASTER_KEY differs from the key it was stored with`)
  }
}
