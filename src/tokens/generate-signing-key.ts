import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose'
import type { SigningKeyRecord } from '../domain/model.js'
import { sealPrivateKey } from './seal-private-key.js'

/** Signing algorithms Scopeward makes keys for: EdDSA (Ed25519) by default; RS256 because RFC 9068 §4 makes it the interop floor. */
export const SIGNING_ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number]
export const DEFAULT_SIGNING_ALGORITHM: SigningAlgorithm = 'EdDSA'

export function isSigningAlgorithm(alg: string): alg is SigningAlgorithm {
  return (SIGNING_ALGORITHMS as readonly string[]).includes(alg)
}

/** Members of a public JWK that may be published; anything else (above all `d`, `p`, `q`…) never leaves. */
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const

export function publicJwkOf(jwk: JWK, kid: string, alg: string): JWK {
  const out: JWK = {}
  for (const m of PUBLIC_MEMBERS) if (typeof jwk[m] === 'string') out[m] = jwk[m]
  return { ...out, kid, alg, use: 'sig' }
}

/**
 * A new ACTIVE signing key: a fresh key pair, its kid the RFC 7638 thumbprint of the public key,
 * the private half sealed for storage (see `sealPrivateKey`).
 */
export async function generateSigningKey(alg: SigningAlgorithm, now: number, masterKey: Uint8Array | null): Promise<SigningKeyRecord> {
  const pair = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) })
  const publicJwk = await exportJWK(pair.publicKey)
  const kid = await calculateJwkThumbprint(publicJwk)
  const privateJwk = await exportJWK(pair.privateKey)
  return {
    kid,
    alg,
    status: 'ACTIVE',
    publicJwk: JSON.stringify(publicJwkOf(publicJwk, kid, alg)),
    privateKey: await sealPrivateKey(privateJwk, kid, masterKey),
    createdAt: now,
    retireAfter: null,
    activatesAt: null,
  }
}
