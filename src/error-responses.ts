import { OperationTooLargeError, ScopeDirectiveBuildError } from './directives/index.js'
import { ERROR_CODES, OAuthError, RateLimited, ScopewardError, TokenLimitExceeded, type AnyErrorCode, type RateLimitState } from './errors.js'
import { redactSecrets } from './text.js'

/**
 * How an error is answered, whatever the surface: the one place that maps errors to HTTP
 * statuses, GraphQL `extensions.code` and RFC 6749 §5.2 bodies. HTTP and GraphQL code only
 * serialise an `ErrorAnswer`; src/errors.ts lists the codes.
 */
export interface ErrorAnswer {
  status: number
  code: AnyErrorCode
  /** Safe for the client: redacted, or the fixed mask of an unexpected error. */
  message: string
  /** Machine-readable extras of a GraphQL error (`field`, `missingScopes`, ...). */
  extensions: Record<string, unknown>
  headers: Record<string, string>
  /** False for an unexpected error: masked to the client, to be logged whole by the caller. */
  expected: boolean
  /** The code to log (an internal error's own code, where the client sees INTERNAL_SERVER_ERROR). */
  logCode: string
}

const MASKED = 'Internal server error'

function masked(logCode: string): ErrorAnswer {
  return { status: 500, code: 'INTERNAL_SERVER_ERROR', message: MASKED, extensions: {}, headers: {}, expected: false, logCode }
}

/** RFC 6749 §5.2 / RFC 6750 §3.1 challenges, and RFC 6585 Retry-After. */
function headersOf(error: ScopewardError): Record<string, string> {
  if (error instanceof TokenLimitExceeded) {
    return {
      ...(error.retryAfterSeconds !== null ? { 'retry-after': String(Math.max(1, error.retryAfterSeconds)) } : {}),
      ...(error.rateLimit ? rateLimitHeaders(error.rateLimit) : {}),
    }
  }
  if (error instanceof RateLimited) return { 'retry-after': String(Math.max(1, error.retryAfterSeconds)), pragma: 'no-cache' }
  if (!(error instanceof OAuthError)) return {}
  const headers: Record<string, string> = { pragma: 'no-cache' }
  if (error.code === 'invalid_client' && error.basicChallenge) headers['www-authenticate'] = 'Basic realm="scopeward", charset="UTF-8"'
  // RFC 6750 §3.1: a bearer token lacking the scope is told which one it needs.
  if (error.code === 'insufficient_scope') headers['www-authenticate'] = 'Bearer error="insufficient_scope", scope="tokens:introspect"'
  return headers
}

/** The IETF RateLimit-Limit, -Remaining and -Reset headers of a token's rate limit (draft-ietf-httpapi-ratelimit-headers). */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return { 'ratelimit-limit': String(state.limit), 'ratelimit-remaining': String(state.remaining), 'ratelimit-reset': String(state.reset) }
}

/**
 * The answer for any thrown value. Scopeward's own errors answer with their code; the directive
 * engine's (a standalone library with its own error classes) are mapped here; anything else —
 * and any error whose code is internal — is masked.
 */
export function answerFor(error: unknown): ErrorAnswer {
  if (error instanceof ScopewardError) {
    const entry = ERROR_CODES[error.code]
    if (entry.surface === 'internal' || entry.status >= 500) return masked(error.code)
    const extensions = { ...(error.field ? { field: error.field } : {}), ...error.details }
    return { status: entry.status, code: error.code, message: error.message, extensions, headers: headersOf(error), expected: true, logCode: error.code }
  }
  if (error instanceof OperationTooLargeError) {
    return {
      status: 400,
      code: 'GRAPHQL_VALIDATION_FAILED',
      message: redactSecrets(error.message),
      extensions: {},
      headers: {},
      expected: true,
      logCode: 'GRAPHQL_VALIDATION_FAILED',
    }
  }
  if (error instanceof ScopeDirectiveBuildError) return masked('SCOPE_DIRECTIVE_BUILD')
  return masked('INTERNAL_SERVER_ERROR')
}

/** Codes of GraphQL errors raised by graphql-js or Apollo whose messages are written for clients; any other is masked. */
export function isClientGraphQLCode(code: unknown): boolean {
  if (typeof code !== 'string' || !Object.hasOwn(ERROR_CODES, code)) return false
  const entry = ERROR_CODES[code as AnyErrorCode]
  return entry.surface === 'graphql' && entry.status < 500
}

/** The body of a GraphQL-shaped refusal decided before (or instead of) the GraphQL engine. */
export function graphqlErrorBody(answer: Pick<ErrorAnswer, 'code' | 'message' | 'extensions'>): { errors: { message: string; extensions: Record<string, unknown> }[] } {
  return { errors: [{ message: redactSecrets(answer.message), extensions: { code: answer.code, ...answer.extensions } }] }
}

/**
 * A refusal in OAuth terms (RFC 6749 §5.2): OAuth errors and throttles as they are; the domain's
 * refusals of a grant translated (scope problems are invalid_scope, a dead parent or unknown
 * object invalid_grant, other bad input invalid_request). Null: not a refusal (a bug, masked by the caller).
 */
export function toOAuthError(error: unknown): OAuthError | RateLimited | TokenLimitExceeded | null {
  if (error instanceof OAuthError || error instanceof RateLimited || error instanceof TokenLimitExceeded) return error
  if (!(error instanceof ScopewardError)) return null
  if (error.code === 'FORBIDDEN' || error.field === 'scope' || error.field === 'scopes') return new OAuthError('invalid_scope', error.message)
  if (error.code === 'UNAUTHENTICATED' || error.code === 'NOT_FOUND') return new OAuthError('invalid_grant', error.message)
  if (error.code === 'BAD_USER_INPUT' || error.code === 'BAD_REQUEST' || error.code === 'PAYLOAD_TOO_LARGE') return new OAuthError('invalid_request', error.message)
  return null
}

/** The RFC 6749 §5.2 JSON body of an OAuth refusal. */
export function oauthErrorBody(answer: Pick<ErrorAnswer, 'code' | 'message'>): { error: string; error_description: string } {
  return { error: answer.code, error_description: redactSecrets(answer.message) }
}
