import { createHash, timingSafeEqual } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { encodeBase62, randomBase62 } from './base62.js'

/** The default prefix of opaque tokens (SCOPEWARD_TOKEN_PREFIX), before its `_` separator. */
export const DEFAULT_TOKEN_PREFIX = 'swt'
/**
 * The grammar of a token prefix: 2 to 10 lowercase letters and digits, starting with a letter. No
 * `_` (the separator) and nothing a double-click or a secret scanner would cut the token at.
 */
export const TOKEN_PREFIX_RE = /^[a-z][a-z0-9]{1,9}$/
/** The prefix of the default format, separator included. */
export const OPAQUE_PREFIX = `${DEFAULT_TOKEN_PREFIX}_`
export const ID_LENGTH = 16
export const SECRET_LENGTH = 32
export const CHECKSUM_LENGTH = 6

export interface OpaqueToken {
  id: string
  secret: string
  /** The full plaintext token: shown once, never stored. */
  plaintext: string
}

/**
 * An instance's opaque token format: `<prefix>_` + 16-character id + 32-character secret +
 * 6-character checksum (CRC32 of everything before it), all base62. The prefix tells humans and
 * secret scanners whose token it is; a token of another prefix is not this instance's format.
 */
export interface OpaqueFormat {
  /** Without the separator, e.g. `swt`. */
  readonly prefix: string
  /** Total length of a token of this format. */
  readonly length: number
  /** A new token: random id (the public lookup key) and a ~190-bit secret, both from the CSPRNG. */
  generate(id?: string): OpaqueToken
  /** Id and secret of a token of this format, or null when its prefix, shape or checksum is wrong: refused before any database lookup. */
  parse(presented: string): { id: string; secret: string } | null
  /** Whether the text claims to be a token of this format (its prefix and separator). */
  looksLike(presented: string): boolean
}

/** The format of opaque tokens with `prefix`; throws on a prefix outside TOKEN_PREFIX_RE (config.ts checks it first, naming the setting). */
export function createOpaqueFormat(prefix: string): OpaqueFormat {
  if (!TOKEN_PREFIX_RE.test(prefix)) throw new TypeError(`token prefix ${JSON.stringify(prefix)} must match ${TOKEN_PREFIX_RE.source}`)
  const head = `${prefix}_`
  const length = head.length + ID_LENGTH + SECRET_LENGTH + CHECKSUM_LENGTH
  const shape = new RegExp(`^${head}([0-9A-Za-z]{${ID_LENGTH}})([0-9A-Za-z]{${SECRET_LENGTH}})([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`)
  return {
    prefix,
    length,
    generate(id = randomBase62(ID_LENGTH)) {
      const secret = randomBase62(SECRET_LENGTH)
      const body = head + id + secret
      return { id, secret, plaintext: body + checksum(body) }
    },
    parse(presented) {
      if (presented.length !== length) return null
      const match = shape.exec(presented)
      if (!match) return null
      const [, id, secret, crc] = match as unknown as [string, string, string, string]
      return checksum(head + id + secret) === crc ? { id, secret } : null
    },
    looksLike: (presented) => presented.startsWith(head),
  }
}

/** The default format (`swt_`). */
export const DEFAULT_OPAQUE_FORMAT = createOpaqueFormat(DEFAULT_TOKEN_PREFIX)
export const OPAQUE_LENGTH = DEFAULT_OPAQUE_FORMAT.length

/** 6 base62 characters of the CRC32 of `body` (62^6 > 2^32, so every CRC value fits). */
export function checksum(body: string): string {
  return encodeBase62(crc32(body) >>> 0, CHECKSUM_LENGTH)
}

/** A new token of the default format (tests, tools); the server uses its instance's `domain.tokenFormat`. */
export function generateOpaqueToken(id?: string): OpaqueToken {
  return DEFAULT_OPAQUE_FORMAT.generate(id)
}

/** `parse` of the default format. */
export function parseOpaqueToken(presented: string): { id: string; secret: string } | null {
  return DEFAULT_OPAQUE_FORMAT.parse(presented)
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
