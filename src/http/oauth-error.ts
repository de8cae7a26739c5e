import type { IncomingMessage, ServerResponse } from 'node:http'
import { answerFor, oauthErrorBody } from '../error-responses.js'
import { OAuthError, RateLimited, TokenLimitExceeded } from '../errors.js'
import { sendJson } from './respond.js'

export { OAuthError, RateLimited, type OAuthErrorCode } from '../errors.js'

/** The RFC 6749 §5.2 JSON error body (or a 429 with Retry-After; a token's own limit keeps its code, RATE_LIMITED or USAGE_EXCEEDED), never cached; status and headers from src/error-responses.ts. */
export function sendOAuthError(res: ServerResponse, error: OAuthError | RateLimited | TokenLimitExceeded): void {
  const answer = answerFor(error)
  sendJson(res, answer.status, oauthErrorBody(answer), answer.headers)
}

/** Wraps an OAuth route: its refusals become RFC 6749 §5.2 answers; anything else is a bug for the server's error boundary. */
export function withOAuthErrors<A extends unknown[]>(route: (req: IncomingMessage, res: ServerResponse, ...rest: A) => Promise<void>) {
  return async (req: IncomingMessage, res: ServerResponse, ...rest: A): Promise<void> => {
    try {
      await route(req, res, ...rest)
    } catch (error) {
      if (!(error instanceof OAuthError || error instanceof RateLimited || error instanceof TokenLimitExceeded)) throw error
      // A failed client authentication counts toward the per-address brute-force throttle, like a bad bearer token.
      if (error.code === 'invalid_client') (rest[0] as { onAuthFailure?: (reason: 'wrong_secret') => void } | undefined)?.onAuthFailure?.('wrong_secret')
      // Drain what is left of a refused body, so the connection stays usable.
      req.resume()
      sendOAuthError(res, error)
    }
  }
}
