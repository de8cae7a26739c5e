import type { IncomingMessage } from 'node:http'
import { BodyError, readBody } from './read-body.js'
import { OAuthError } from './oauth-error.js'

/** Bodies of the OAuth endpoints are small: a token of at most 4 KiB and a few parameters. */
export const FORM_LIMIT_BYTES = 16 * 1024

/**
 * Reads an `application/x-www-form-urlencoded` body (RFC 6749 §3.2, RFC 7662 §2.1, RFC 7009 §2.1).
 * Another content type, an oversized body, invalid UTF-8 or a repeated parameter is `invalid_request`.
 */
export async function readForm(req: IncomingMessage): Promise<Map<string, string>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') throw new OAuthError('invalid_request', 'the request body must be application/x-www-form-urlencoded')
  let text: string
  try {
    text = await readBody(req, FORM_LIMIT_BYTES)
  } catch (error) {
    if (error instanceof BodyError) throw new OAuthError('invalid_request', error.message)
    throw error
  }
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
