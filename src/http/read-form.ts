import type { IncomingMessage } from 'node:http'
import { OAuthError } from './oauth-error.js'

/** Bodies of the OAuth endpoints are small: a token of at most 4 KiB and a few parameters (the server reads at most this much). */
export const FORM_LIMIT_BYTES = 16 * 1024

/**
 * Reads an `application/x-www-form-urlencoded` body (RFC 6749 §3.2, RFC 7662 §2.1, RFC 7009 §2.1).
 * `text` is the body as the server read it (an oversized one was refused there, as `invalid_request`).
 * Another content type, invalid UTF-8 or a repeated parameter is `invalid_request`.
 */
export function readForm(req: IncomingMessage, text: string): Map<string, string> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') throw new OAuthError('invalid_request', 'the request body must be application/x-www-form-urlencoded')
  if (text.includes('\uFFFD')) throw new OAuthError('invalid_request', 'the request body is not valid UTF-8')
  const form = new Map<string, string>()
  let params: URLSearchParams
  try {
    params = new URLSearchParams(text)
  } catch {
    throw new OAuthError('invalid_request', 'the request body is not a valid form')
  }
  for (const [key, value] of params) {
    // RFC 6749 §3.1: parameters MUST NOT be included more than once.
    if (form.has(key)) throw new OAuthError('invalid_request', `parameter ${key} is repeated`)
    if (value.includes('\uFFFD')) throw new OAuthError('invalid_request', `parameter ${key} is not valid UTF-8`)
    // NUL is valid UTF-8 (%00) but no identifier, token or scope contains it, and PostgreSQL cannot store it.
    if (value.includes('\u0000') || key.includes('\u0000')) throw new OAuthError('invalid_request', `parameter ${key.replaceAll('\u0000', '')} contains a NUL character`)
    form.set(key, value)
  }
  return form
}
