import { randomBase62 } from './base62.js'
import { checksum } from './opaque-token.js'

/** The prefix of every client secret: tells humans and secret scanners it is a Scopeward client secret, not a token. */
export const CLIENT_SECRET_PREFIX = 'sws_'

const CLIENT_SECRET_RE = /^sws_([0-9A-Za-z]{16})([0-9A-Za-z]{32})([0-9A-Za-z]{6})$/

/**
 * A new client secret, shaped like an opaque token: `sws_` + 16-character public id + 32-character
 * secret (~190 bits, CSPRNG) + 6-character CRC32 checksum. Only SHA-256 of the secret part is stored.
 */
export function generateClientSecret(): { id: string; secret: string; plaintext: string } {
  const id = randomBase62(16)
  const secret = randomBase62(32)
  const body = CLIENT_SECRET_PREFIX + id + secret
  return { id, secret, plaintext: body + checksum(body) }
}

/** Id and secret of a presented client secret, or null when its shape or checksum is wrong (no database lookup then). */
export function parseClientSecret(presented: string): { id: string; secret: string } | null {
  const match = CLIENT_SECRET_RE.exec(presented)
  if (!match) return null
  const [, id, secret, crc] = match as unknown as [string, string, string, string]
  return checksum(CLIENT_SECRET_PREFIX + id + secret) === crc ? { id, secret } : null
}
