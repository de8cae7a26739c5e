import { createHash, createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'

/** Public keys that sign leak reports (GitHub secret scanning), by key identifier. */
export type LeakReportKeys = ReadonlyMap<string, KeyObject>

/**
 * Reads SCOPEWARD_LEAK_REPORT_KEYS: a file of PEM public keys (`-----BEGIN PUBLIC KEY-----`
 * blocks; each identified by the hex SHA-256 of its DER SubjectPublicKeyInfo) or a JWKS
 * (`{"keys": [...]}`, each identified by its `kid`: set it to GitHub's `key_identifier`). Every key
 * must be ECDSA P-256, the curve GitHub signs with. Throws a message naming what is wrong.
 */
export function readLeakReportKeys(path: string): LeakReportKeys {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`)
  }
  const keys = new Map<string, KeyObject>()
  const add = (id: string, key: KeyObject, what: string): void => {
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error(`${what} is not an ECDSA P-256 public key`)
    keys.set(id, key)
  }
  if (text.trimStart().startsWith('{')) {
    let jwks: { keys?: unknown }
    try {
      jwks = JSON.parse(text) as { keys?: unknown }
    } catch {
      throw new Error(`${path} is neither PEM nor valid JSON`)
    }
    if (!Array.isArray(jwks.keys)) throw new Error(`${path}: a JWKS needs a "keys" array`)
    jwks.keys.forEach((jwk: unknown, i) => {
      const kid = (jwk as { kid?: unknown }).kid
      if (typeof kid !== 'string' || kid === '') throw new Error(`${path}: keys[${i}] needs a kid (GitHub's key_identifier)`)
      let key: KeyObject
      try {
        key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
      } catch {
        throw new Error(`${path}: keys[${i}] is not a public JWK`)
      }
      add(kid, key, `${path}: keys[${i}]`)
    })
  } else {
    const blocks = text.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? []
    blocks.forEach((pem, i) => {
      const key = createPublicKey(pem)
      add(
        createHash('sha256')
          .update(key.export({ type: 'spki', format: 'der' }))
          .digest('hex'),
        key,
        `${path}: key ${i + 1}`,
      )
    })
  }
  if (keys.size === 0) throw new Error(`${path} holds no public key`)
  return keys
}

/** Whether `signature` (base64 DER, as GitHub sends it) is the key's ECDSA P-256 SHA-256 signature of the raw body. */
export function leakReportSignatureValid(key: KeyObject, body: Buffer, signature: string): boolean {
  if (!/^[A-Za-z0-9+/]{1,200}={0,2}$/.test(signature)) return false
  try {
    return verify('sha256', body, { key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'))
  } catch {
    return false
  }
}
