import type { IncomingMessage, ServerResponse } from 'node:http'
import { redactSecrets } from '../text.js'
import { sendJson } from './respond.js'

/** RFC 6749 §5.2 error codes of the token endpoint, plus what introspection and revocation use. */
export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'invalid_scope' | 'unauthorized_client' | 'unsupported_grant_type' | 'insufficient_scope'

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  invalid_scope: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  insufficient_scope: 403,
}

/** A refusal of an OAuth endpoint; `basicChallenge`: the client tried HTTP Basic, so 401 carries a Basic challenge (RFC 6749 §5.2). */
export class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly basicChallenge = false,
  ) {
    super(description)
  }
}

/** Too many requests for one client id: 429 with Retry-After (RFC 6585), outside RFC 6749's codes. */
export class RateLimited extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('rate limited')
  }
}

/** The RFC 6749 §5.2 JSON error body, never cached. */
export function sendOAuthError(res: ServerResponse, error: OAuthError): void {
  const headers: Record<string, string> = { pragma: 'no-cache' }
  if (error.code === 'invalid_client' && error.basicChallenge) headers['www-authenticate'] = 'Basic realm="scopeward", charset="UTF-8"'
  // RFC 6750 §3.1: a bearer token lacking the scope is told which one it needs.
  if (error.code === 'insufficient_scope') headers['www-authenticate'] = 'Bearer error="insufficient_scope", scope="tokens:introspect"'
  sendJson(res, STATUS[error.code], { error: error.code, error_description: redactSecrets(error.description) }, headers)
}

/** Wraps an OAuth route: its refusals become RFC 6749 §5.2 answers; anything else is a bug for the server's error boundary. */
export function withOAuthErrors<A extends unknown[]>(route: (req: IncomingMessage, res: ServerResponse, ...rest: A) => Promise<void>) {
  return async (req: IncomingMessage, res: ServerResponse, ...rest: A): Promise<void> => {
    try {
      await route(req, res, ...rest)
    } catch (error) {
      if (error instanceof OAuthError) {
        // A failed client authentication counts toward the per-address brute-force throttle, like a bad bearer token.
        if (error.code === 'invalid_client') (rest[0] as { onAuthFailure?: (reason: 'wrong_secret') => void } | undefined)?.onAuthFailure?.('wrong_secret')
        // Drain what is left of a refused body, so the connection stays usable.
        req.resume()
        return sendOAuthError(res, error)
      }
      if (error instanceof RateLimited) {
        req.resume()
        const wait = Math.max(1, error.retryAfterSeconds)
        return sendJson(res, 429, { error: 'rate_limited', error_description: `too many token requests for this client; retry in ${wait} s` }, { 'retry-after': String(wait), pragma: 'no-cache' })
      }
      throw error
    }
  }
}
