import { decodeJwt } from 'jose'
import { DEFAULT_OPAQUE_FORMAT, type OpaqueFormat } from './opaque-token.js'

const TOKEN_ID = /^[0-9A-Za-z]{16}$/

/**
 * The token id a presented credential names, for the log line of a refusal, or undefined. It is
 * read without verification: it says which token was claimed, never that it was valid. The id is
 * the public lookup key (not the secret), and anything not shaped like an id is dropped, so an
 * attacker cannot write arbitrary text into the log through it.
 */
export function presentedTokenId(presented: string | null | undefined, format: OpaqueFormat = DEFAULT_OPAQUE_FORMAT): string | undefined {
  if (!presented) return undefined
  const opaque = format.parse(presented)
  if (opaque) return opaque.id
  if (presented.split('.').length !== 3) return undefined
  try {
    const { jti } = decodeJwt(presented)
    return typeof jti === 'string' && TOKEN_ID.test(jti) ? jti : undefined
  } catch {
    return undefined
  }
}
