import type { IncomingMessage, ServerResponse } from 'node:http'
import { tokenCall } from '../domain/actor.js'
import { authenticate } from '../domain/authenticate.js'
import { issueClientCredentialsToken } from '../domain/client-credentials.js'
import { deriveToken } from '../domain/derive-token.js'
import type { IssuedToken } from '../domain/issue-token.js'
import { toOAuthError } from '../error-responses.js'
import { ScopewardError } from '../errors.js'
import { authenticateCaller } from './client-auth.js'
import { OAuthError, RateLimited, withOAuthErrors } from './oauth-error.js'
import { readForm } from './read-form.js'
import { sendJson } from './respond.js'
import { authRequestOf, type RouteContext } from './route.js'

export const GRANT_CLIENT_CREDENTIALS = 'client_credentials'
export const GRANT_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const TYPE_ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token'
const TYPE_JWT = 'urn:ietf:params:oauth:token-type:jwt'
/** RFC 8693 §3: token types we accept and issue; both name a Scopeward access token (a JWT is issued either way). */
const TOKEN_TYPES = [TYPE_ACCESS_TOKEN, TYPE_JWT]

/** RFC 6749 §3.3: space-delimited scope tokens; empty when absent. */
function parseScope(value: string | undefined): string[] {
  if (value === undefined) return []
  if (!/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/.test(value)) throw new OAuthError('invalid_scope', 'scope must be space-separated scope names')
  return [...new Set(value.split(' '))]
}

/**
 * Requests per client id are throttled before the secret is checked, so guessing one app's secret
 * is slow whatever the address. The key is the client id as authentication decodes it, and a
 * token exchange without client authentication spends from the bucket of the subject token's app.
 */
async function throttle(rc: RouteContext, clientId: string): Promise<void> {
  if (!rc.tokenLimiter) return
  const key = clientId.slice(0, 100)
  if (!(await rc.tokenLimiter.take(key))) throw new RateLimited(await rc.tokenLimiter.retryAfter(key))
}

/** Domain refusals of a grant in OAuth terms (mapped in src/error-responses.ts); anything else is a bug. */
function asOAuthError(error: unknown): never {
  throw toOAuthError(error) ?? error
}

function tokenResponse(res: ServerResponse, issued: IssuedToken, now: number, extra: Record<string, string> = {}): void {
  const expiresIn = Math.max(0, Math.ceil(((issued.token.expiresAt as number) - now) / 1000))
  sendJson(res, 200, { access_token: issued.secret, token_type: 'Bearer', expires_in: expiresIn, scope: issued.token.scopes.join(' '), ...extra }, { pragma: 'no-cache' })
}

/**
 * POST /oauth/token (RFC 6749 §3.2). `client_credentials`: the app authenticates with a client
 * secret and gets a JWT with the scopes it names (scope is required: no silent grant of everything).
 * Token exchange (RFC 8693): the subject token is the credential and is narrowed into a child JWT;
 * if the client authenticates as well, the subject token must belong to it.
 */
export const oauthTokenRoute = withOAuthErrors(async (req: IncomingMessage, res: ServerResponse, rc: RouteContext): Promise<void> => {
  const form = readForm(req, rc.body)
  const grantType = form.get('grant_type')
  if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required')
  if (grantType !== GRANT_CLIENT_CREDENTIALS && grantType !== GRANT_TOKEN_EXCHANGE)
    throw new OAuthError('unsupported_grant_type', `grant_type ${JSON.stringify(grantType.slice(0, 100))} is not supported`)
  const caller = await authenticateCaller(rc.domain, req, form, { allowBearer: false, beforeCheck: (clientId) => throttle(rc, clientId) })
  const request = { requestId: rc.requestId, ip: rc.ip }

  if (grantType === GRANT_CLIENT_CREDENTIALS) {
    if (caller.kind !== 'client') throw new OAuthError('invalid_client', 'client authentication is required for client_credentials')
    const scopes = parseScope(form.get('scope'))
    if (scopes.length === 0) throw new OAuthError('invalid_scope', 'scope is required: name the scopes the token needs')
    // RFC 8707 §2: the resource the token is for becomes its aud; it must be one the app declares (else invalid_target).
    const resource = form.get('resource')
    if (form.has('audience')) throw new OAuthError('invalid_request', 'audience is not a client_credentials parameter: name the resource (RFC 8707)')
    const issued = await issueClientCredentialsToken(rc.domain, caller, request, scopes, resource !== undefined ? [resource] : null).catch((error: unknown) => {
      // The secret revoked (or the app disabled) between authentication and the write: the client's credentials failed.
      if (error instanceof ScopewardError && error.code === 'UNAUTHENTICATED') throw new OAuthError('invalid_client', 'client authentication failed', caller.basic)
      if (error instanceof ScopewardError && error.field === 'audience') throw new OAuthError('invalid_target', error.message.replace(/^audience:/, 'resource:'))
      return asOAuthError(error)
    })
    return tokenResponse(res, issued, rc.domain.clock())
  }

  const subjectToken = form.get('subject_token')
  const subjectType = form.get('subject_token_type')
  if (!subjectToken || !subjectType) throw new OAuthError('invalid_request', 'subject_token and subject_token_type are required')
  if (!TOKEN_TYPES.includes(subjectType)) throw new OAuthError('invalid_request', 'subject_token_type must be an access_token or jwt token type')
  const requestedType = form.get('requested_token_type') ?? TYPE_ACCESS_TOKEN
  if (!TOKEN_TYPES.includes(requestedType)) throw new OAuthError('invalid_request', 'requested_token_type must be an access_token or jwt token type')
  if (form.has('resource') || form.has('audience'))
    throw new OAuthError('invalid_request', 'resource and audience are not supported in a token exchange: its tokens are for this server')
  const subject = await authenticate(rc.domain, subjectToken, authRequestOf(req, rc), 'subject_token')
  if (!subject.ok) {
    rc.onAuthFailure(subject.reason, subjectToken)
    throw new OAuthError('invalid_grant', 'subject_token is invalid, expired or revoked')
  }
  if (caller.kind === 'client' && !caller.app.isRoot && caller.app.id !== subject.principal.app.id)
    throw new OAuthError('invalid_grant', 'subject_token was not issued to this client')
  if (caller.kind !== 'client') await throttle(rc, subject.principal.app.id)

  let act: Record<string, unknown> | undefined
  const actorToken = form.get('actor_token')
  if (actorToken !== undefined) {
    const actorType = form.get('actor_token_type')
    if (!actorType || !TOKEN_TYPES.includes(actorType))
      throw new OAuthError('invalid_request', 'actor_token_type is required with actor_token and must be an access_token or jwt token type')
    const actor = await authenticate(rc.domain, actorToken, authRequestOf(req, rc), 'actor_token')
    if (!actor.ok) {
      // A failed credential is a failed credential: uncounted, this would be a free validity oracle.
      rc.onAuthFailure(actor.reason, actorToken)
      throw new OAuthError('invalid_grant', 'actor_token is invalid, expired or revoked')
    }
    act = { sub: actor.principal.token.subject ?? actor.principal.app.id, client_id: actor.principal.app.id }
  } else if (form.has('actor_token_type')) {
    throw new OAuthError('invalid_request', 'actor_token_type without actor_token')
  }

  const requested = parseScope(form.get('scope'))
  const scopes = requested.length > 0 ? requested : [...subject.principal.held]
  if (scopes.length === 0) throw new OAuthError('invalid_scope', 'the subject token holds no scope to exchange')
  rc.principal = subject.principal
  const issued = await deriveToken(rc.domain, tokenCall(subject.principal, request), { name: 'token_exchange', scopes, kind: 'JWT', act }).catch(asOAuthError)
  return tokenResponse(res, issued, rc.domain.clock(), { issued_token_type: requestedType })
})
