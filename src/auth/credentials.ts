import { OAuthError } from '../errors.js'

/**
 * Where each kind of credential is read from a request, once: the Bearer header (RFC 6750 §2.1),
 * HTTP Basic client authentication (client_secret_basic, RFC 6749 §2.3.1), and the form's
 * client_id/client_secret (client_secret_post) and token parameters. Parsing only: nothing here
 * looks a credential up. Inputs are plain strings, not a framework's request type.
 */

/** RFC 6750 §2.1 b64token, after a case-insensitive scheme. */
const BEARER_RE = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i
const BASIC_RE = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i

/**
 * The credential of an `Authorization: Bearer` header. `undefined`: no header. `null`: a header
 * that is not a single bearer token. Tokens in the query string (§2.3) are never read: they end up
 * in logs and browser history.
 */
export function parseBearer(authorization: string | undefined): string | null | undefined {
  if (authorization === undefined) return undefined
  const match = BEARER_RE.exec(authorization)
  return match ? match[1] : null
}

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64, so `+` is a space and `%XX` an octet. */
function formDecode(part: string): string {
  return decodeURIComponent(part.replace(/\+/g, ' '))
}

/** The client id and secret of an `Authorization: Basic` header, or null when it is not one well-formed pair. */
export function parseBasic(authorization: string): { clientId: string; secret: string } | null {
  const match = BASIC_RE.exec(authorization)
  if (!match) return null
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return null
  try {
    return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) }
  } catch {
    return null
  }
}

/** The credential an OAuth endpoint was called with, not yet checked. */
export type PresentedCredential =
  | { kind: 'none' }
  | { kind: 'client'; clientId: string; secret: string; /** By HTTP Basic: a refusal then carries a Basic challenge. */ basic: boolean }
  | { kind: 'bearer'; presented: string }

/**
 * The caller's credential on an OAuth endpoint: HTTP Basic, or `client_id`/`client_secret` in the
 * form (never both: RFC 6749 §2.3 allows one method per request), or a bearer token when
 * `allowBearer`. Malformed credentials are refused here with the OAuth error a client is owed:
 * `invalid_request` for mixing methods, `invalid_client` for anything unusable.
 */
export function parseOAuthCredential(authorization: string | undefined, form: ReadonlyMap<string, string>, options: { allowBearer: boolean }): PresentedCredential {
  const formSecret = form.get('client_secret')
  const formId = form.get('client_id')
  if (authorization !== undefined) {
    if (/^Basic /i.test(authorization)) {
      if (formSecret !== undefined) throw new OAuthError('invalid_request', 'use one client authentication method: HTTP Basic or client_secret in the form, not both')
      const basic = parseBasic(authorization)
      if (!basic) throw new OAuthError('invalid_client', 'client authentication failed', true)
      if (formId !== undefined && formId !== basic.clientId) throw new OAuthError('invalid_request', 'client_id in the form differs from the one in HTTP Basic')
      return { kind: 'client', ...basic, basic: true }
    }
    if (options.allowBearer && /^Bearer /i.test(authorization)) {
      if (formSecret !== undefined) throw new OAuthError('invalid_request', 'use one authentication method, not both')
      const presented = parseBearer(authorization)
      if (!presented) throw new OAuthError('invalid_client', 'client authentication failed')
      return { kind: 'bearer', presented }
    }
    throw new OAuthError('invalid_client', 'unsupported authentication scheme')
  }
  if (formSecret !== undefined || formId !== undefined) {
    if (formId === undefined || formSecret === undefined) throw new OAuthError('invalid_client', 'client authentication failed: client_id and client_secret are both required')
    return { kind: 'client', clientId: formId, secret: formSecret, basic: false }
  }
  return { kind: 'none' }
}

/** A token parameter of a form (`token`, `subject_token`): absent or empty is `invalid_request`. */
export function requiredTokenParameter(form: ReadonlyMap<string, string>, name: string): string {
  const value = form.get(name)
  if (value === undefined || value === '') throw new OAuthError('invalid_request', `${name} is required`)
  return value
}
