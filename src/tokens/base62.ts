import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/**
 * `length` base62 characters from the CSPRNG, unbiased: bytes >= 248 are rejected
 * (248 = 4 × 62), so every character is uniform over the alphabet (~5.95 bits each).
 */
export function randomBase62(length: number): string {
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += ALPHABET[byte % 62]
      if (out.length === length) break
    }
  }
  return out
}

/** `value` (an unsigned 32-bit integer) as exactly `width` base62 digits, left-padded with '0'. */
export function encodeBase62(value: number, width: number): string {
  let out = ''
  let rest = value
  for (let i = 0; i < width; i++) {
    out = ALPHABET[rest % 62] + out
    rest = Math.floor(rest / 62)
  }
  return out
}

export const BASE62_RE = /^[0-9A-Za-z]+$/
