import type { IncomingMessage, ServerResponse } from 'node:http'
import { answerFor, oauthErrorBody } from '../error-responses.js'
import { OAuthError, RateLimited, type OAuthErrorCode } from '../errors.js'
import { sendJson } from './respond.js'
import type { RouteContext } from './route.js'

/** A refusal of a /v1 JSON route: an OAuth code (RFC 6749 §5.2 shape) and, for a bad body, the field at fault. */
export class V1Error extends OAuthError {
  constructor(
    code: OAuthErrorCode,
    description: string,
    readonly param?: string,
    /** For insufficient_scope: the scope the RFC 6750 §3.1 challenge names (default tokens:introspect). */
    readonly scope?: string,
  ) {
    super(code, description)
  }
}

/**
 * Wraps a /v1 route: its refusals are answered `{ error, error_description, field? }` with the
 * status of the code (src/errors.ts): the shape of the OAuth endpoints, which the same resource
 * servers already parse. Anything else is a bug for the server's error boundary.
 */
export function withV1Errors(route: (req: IncomingMessage, res: ServerResponse, rc: RouteContext) => Promise<void>) {
  return async (req: IncomingMessage, res: ServerResponse, rc: RouteContext): Promise<void> => {
    try {
      await route(req, res, rc)
    } catch (error) {
      if (!(error instanceof OAuthError || error instanceof RateLimited)) throw error
      // A failed client authentication counts toward the per-address brute-force throttle, like a bad bearer token.
      if (error.code === 'invalid_client') rc.onAuthFailure('wrong_secret')
      req.resume()
      const answer = answerFor(error)
      const field = error instanceof V1Error && error.param !== undefined ? { field: error.param } : {}
      const challenge = error instanceof V1Error && error.scope !== undefined ? { 'www-authenticate': `Bearer error="insufficient_scope", scope="${error.scope}"` } : {}
      sendJson(res, answer.status, { ...oauthErrorBody(answer), ...field }, { ...answer.headers, ...challenge })
    }
  }
}

/** A JSON object body: another content type, bad JSON or a non-object is a 400 `invalid_request`. */
export function readJsonObject(req: IncomingMessage, body: string): Record<string, unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json') throw new V1Error('invalid_request', 'the request body must be application/json')
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    throw new V1Error('invalid_request', 'the request body is not valid JSON')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new V1Error('invalid_request', 'the request body must be a JSON object')
  return parsed as Record<string, unknown>
}
