import { createHash, timingSafeEqual } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { encodeBase62, randomBase62 } from './base62.js'

/** The prefix of every opaque Scopeward token: identifies it to humans and secret scanners. */
export const OPAQUE_PREFIX = 'swt_'
export const ID_LENGTH = 16
export const SECRET_LENGTH = 32
export const CHECKSUM_LENGTH = 6
export const OPAQUE_LENGTH = OPAQUE_PREFIX.length + ID_LENGTH + SECRET_LENGTH + CHECKSUM_LENGTH

const OPAQUE_RE = /^swt_([0-9A-Za-z]{16})([0-9A-Za-z]{32})([0-9A-Za-z]{6})$/

export interface OpaqueToken {
  id: string
  secret: string
  /** The full plaintext token: shown once, never stored. */
  plaintext: string
}

/** 6 base62 characters of the CRC32 of `body` (62^6 > 2^32, so every CRC value fits). */
export function checksum(body: string): string {
  return encodeBase62(crc32(body) >>> 0, CHECKSUM_LENGTH)
}

/** A new opaque token: random id (the public lookup key) and a ~190-bit secret, both from the CSPRNG. */
export function generateOpaqueToken(id: string = randomBase62(ID_LENGTH)): OpaqueToken {
  const secret = randomBase62(SECRET_LENGTH)
  const body = OPAQUE_PREFIX + id + secret
  return { id, secret, plaintext: body + checksum(body) }
}

/**
 * Splits a presented token into id and secret, or returns null when its shape or checksum is
 * wrong: a mistyped or made-up token is refused here, before any database lookup.
 */
export function parseOpaqueToken(presented: string): { id: string; secret: string } | null {
  if (presented.length !== OPAQUE_LENGTH) return null
  const match = OPAQUE_RE.exec(presented)
  if (!match) return null
  const [, id, secret, crc] = match as unknown as [string, string, string, string]
  if (checksum(OPAQUE_PREFIX + id + secret) !== crc) return null
  return { id, secret }
}

export function looksLikeOpaqueToken(presented: string): boolean {
  return presented.startsWith(OPAQUE_PREFIX)
}

/**
 * SHA-256 of a secret, hex. A fast hash is right here: the secret has ~190 bits of entropy,
 * so no brute force is possible and a slow KDF would only add latency.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

/** Constant-time comparison of a presented secret with a stored hash (both hashed to equal length). */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex')
  const stored = Buffer.from(storedHash, 'hex')
  return presented.length === stored.length && timingSafeEqual(presented, stored)
}
