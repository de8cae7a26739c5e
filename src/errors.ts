import { redactSecrets } from './text.js'

/**
 * Every error code Scopeward answers with or logs, in one table: its HTTP status when it decides
 * a whole request, where a client meets it, and what it means. `graphql`: `extensions.code` of a
 * GraphQL error; `oauth`: the `error` member of an RFC 6749 §5.2 body; `http`: the `error` member of a
 * JSON body the HTTP front answers before any route; `internal`: never shown, a client sees
 * INTERNAL_SERVER_ERROR (or the route's own refusal) and the log sees the code. Codes are stable:
 * clients, metrics and tests key on them. docs/errors.md lists the same table (a test keeps them equal).
 */
export const ERROR_CODES = {
  UNAUTHENTICATED: { status: 401, surface: 'graphql', meaning: 'no valid token: missing where one is required, or malformed, unknown, expired, revoked, or of a disabled app' },
  FORBIDDEN: {
    status: 403,
    surface: 'graphql',
    meaning: 'the token lacks a scope the field or operation requires (extensions.missingScopes names it), or may not act on that object',
  },
  BAD_USER_INPUT: { status: 400, surface: 'graphql', meaning: 'an argument is invalid; extensions.field names it' },
  NOT_FOUND: { status: 404, surface: 'graphql', meaning: 'the object does not exist or the caller may not see it (the same answer for both)' },
  CONFLICT: {
    status: 409,
    surface: 'graphql',
    meaning: 'a concurrent write changed what this one relied on (retry), or the name of a new scope or app is taken (extensions.field names it); nothing was written',
  },
  RATE_LIMITED: {
    status: 429,
    surface: 'graphql',
    meaning: "the token's own rate limit is spent (on every route that authenticates it); Retry-After and RateLimit-Limit/-Remaining/-Reset say when it resets",
  },
  USAGE_EXCEEDED: { status: 429, surface: 'graphql', meaning: "the token's credits are spent; Retry-After says when the next refill is due (none without a refill)" },
  ALLOWLIST_WIDENED: {
    status: 403,
    surface: 'graphql',
    meaning: "the token's allowedCidrs would be wider than its parent's, its app's maximum, or what the caller may issue; nothing was written",
  },
  RATE_LIMIT_WIDENED: {
    status: 403,
    surface: 'graphql',
    meaning: "the token's rate limit would be wider (a higher limit or a shorter window) than its parent's, its app's maximum, or what the caller may issue; nothing was written",
  },
  CREDITS_WIDENED: {
    status: 403,
    surface: 'graphql',
    meaning: "the token's credits or refill would be more than its parent's, its app's maximum, or what the caller may issue; nothing was written",
  },
  BAD_REQUEST: { status: 400, surface: 'graphql', meaning: 'the HTTP request is not a GraphQL request Scopeward accepts (bad JSON, query too long, APQ hash mismatch)' },
  PAYLOAD_TOO_LARGE: { status: 413, surface: 'graphql', meaning: 'the request body exceeds the limit' },
  GRAPHQL_PARSE_FAILED: { status: 400, surface: 'graphql', meaning: 'the document is not valid GraphQL syntax' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, surface: 'graphql', meaning: 'the document does not validate against the schema, or exceeds the depth, size or analysis limits' },
  PERSISTED_QUERY_NOT_FOUND: { status: 200, surface: 'graphql', meaning: 'automatic persisted query: the hash is unknown, send the query text' },
  PERSISTED_QUERY_NOT_SUPPORTED: { status: 200, surface: 'graphql', meaning: 'automatic persisted queries are off' },
  OPERATION_RESOLUTION_FAILURE: { status: 400, surface: 'graphql', meaning: 'operationName names no operation of the document, or several operations and no name' },
  INTERNAL_SERVER_ERROR: { status: 500, surface: 'graphql', meaning: 'a bug or an outage; the message is masked and the detail logged with the request id' },

  invalid_request: { status: 400, surface: 'oauth', meaning: 'a parameter is missing, repeated, malformed or unsupported, or the body is not a form' },
  invalid_client: { status: 401, surface: 'oauth', meaning: 'client authentication failed (all causes alike); with HTTP Basic the answer carries a Basic challenge' },
  invalid_grant: { status: 400, surface: 'oauth', meaning: 'the subject or actor token is invalid, expired or revoked, or not of this client' },
  invalid_scope: { status: 400, surface: 'oauth', meaning: 'the scope is missing, malformed, or beyond what the client or subject token may grant' },
  unauthorized_client: { status: 400, surface: 'oauth', meaning: 'the client may not use this grant type' },
  unsupported_grant_type: { status: 400, surface: 'oauth', meaning: 'grant_type is neither client_credentials nor token exchange' },
  invalid_target: { status: 400, surface: 'oauth', meaning: 'the resource (RFC 8707) is not one the client’s app declares in its audiences' },
  insufficient_scope: { status: 403, surface: 'oauth', meaning: 'the credential does not hold tokens:introspect (RFC 6750 §3.1)' },
  rate_limited: {
    status: 429,
    surface: 'oauth',
    meaning: 'too many /oauth/token requests for this client, or too many failed authentications from this address (on /graphql too); retry after Retry-After',
  },

  not_found: { status: 404, surface: 'http', meaning: 'no route for this path' },
  method_not_allowed: { status: 405, surface: 'http', meaning: 'the route exists, not for this method' },
  forbidden_origin: { status: 403, surface: 'http', meaning: 'a WebSocket upgrade from a browser Origin that is neither allowed (SCOPEWARD_CORS_ORIGINS) nor this host' },
  unavailable: { status: 503, surface: 'http', meaning: 'a WebSocket upgrade while the server shuts down' },

  EMPTIED_TOKENS: { status: 400, surface: 'internal', meaning: 'narrowing would leave derived tokens with no scope: answered as BAD_USER_INPUT with extensions.emptiedTokens' },
  KEY_WRITE_REFUSED: { status: 500, surface: 'internal', meaning: 'a plaintext signing key would be written to a database whose keys are sealed under a master key' },
  SEALED_KEY: { status: 500, surface: 'internal', meaning: 'a sealed signing key cannot be opened: SCOPEWARD_MASTER_KEY is missing or different' },
  SCOPE_DIRECTIVE_BUILD: { status: 500, surface: 'internal', meaning: 'the schema’s scope directives are invalid: the server refuses to start' },
} as const satisfies Record<string, { status: number; surface: 'graphql' | 'oauth' | 'http' | 'internal'; meaning: string }>

export type AnyErrorCode = keyof typeof ERROR_CODES
type CodeOf<S extends string> = { [K in AnyErrorCode]: (typeof ERROR_CODES)[K]['surface'] extends S ? K : never }[AnyErrorCode]

/** Codes a domain error carries into a GraphQL answer. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'USAGE_EXCEEDED'
  | 'ALLOWLIST_WIDENED'
  | 'RATE_LIMIT_WIDENED'
  | 'CREDITS_WIDENED'
  | 'INTERNAL_SERVER_ERROR'
  | 'BAD_REQUEST'
  | 'PAYLOAD_TOO_LARGE'
/** RFC 6749 §5.2 codes of the token endpoint, plus what introspection, revocation and the throttles use. */
export type OAuthErrorCode = CodeOf<'oauth'>
/** Codes of errors that never reach a client as such. */
export type InternalErrorCode = CodeOf<'internal'>

/** The HTTP status of a code from the table. */
export function statusOf(code: AnyErrorCode): number {
  return ERROR_CODES[code].status
}

/**
 * The base of every error Scopeward throws on purpose. `message` is safe to show a client (secrets
 * redacted) unless the code is internal; `field` names the offending input, `details` carries
 * machine-readable extras (never a secret). How each one is answered is decided in one place:
 * src/error-responses.ts.
 */
export class ScopewardError extends Error {
  readonly code: AnyErrorCode
  readonly field: string | undefined
  readonly details: Record<string, unknown> | undefined

  constructor(code: AnyErrorCode, message: string, options: { field?: string; details?: Record<string, unknown> } = {}) {
    // Messages echo inputs; a secret pasted where an id was expected must not come back.
    super(redactSecrets(message))
    this.name = new.target.name
    this.code = code
    this.field = options.field
    this.details = options.details
  }

  /** The HTTP status this error answers with when it decides a whole request. */
  get status(): number {
    return statusOf(this.code)
  }
}

/** A refusal of an OAuth endpoint; `basicChallenge`: the client tried HTTP Basic, so 401 carries a Basic challenge (RFC 6749 §5.2). */
export class OAuthError extends ScopewardError {
  declare readonly code: OAuthErrorCode

  constructor(
    code: OAuthErrorCode,
    readonly description: string,
    readonly basicChallenge = false,
  ) {
    super(code, description)
  }
}

/** Too many requests: 429 with Retry-After (RFC 6585). `what` says whose budget ran out. */
export class RateLimited extends ScopewardError {
  declare readonly code: 'rate_limited'

  constructor(
    readonly retryAfterSeconds: number,
    what = 'too many token requests for this client',
  ) {
    super('rate_limited', `${what}; retry in ${Math.max(1, retryAfterSeconds)} s`)
  }
}

/** A token's RateLimit headers (draft-ietf-httpapi-ratelimit-headers): its limit, what is left, seconds until the window resets. */
export interface RateLimitState {
  limit: number
  remaining: number
  /** Seconds until the window resets. */
  reset: number
}

/**
 * A token's own limit is spent: its rate limit (RATE_LIMITED) or its credits (USAGE_EXCEEDED), 429
 * on every route. Retry-After when a reset or refill is due (`retryAfterSeconds`, null: none), and
 * the RateLimit headers of its rate limit when it has one.
 */
export class TokenLimitExceeded extends ScopewardError {
  declare readonly code: 'RATE_LIMITED' | 'USAGE_EXCEEDED'

  constructor(
    code: 'RATE_LIMITED' | 'USAGE_EXCEEDED',
    readonly retryAfterSeconds: number | null,
    readonly rateLimit: RateLimitState | null,
  ) {
    super(code, code === 'RATE_LIMITED' ? "the token's rate limit is spent" : "the token's credits are spent", {
      details: retryAfterSeconds !== null ? { retryAfter: Math.max(1, retryAfterSeconds) } : {},
    })
  }
}

/** A request body refused before it is parsed: too large (413) or cut off or not JSON (400). */
export class BodyError extends ScopewardError {
  declare readonly code: 'PAYLOAD_TOO_LARGE' | 'BAD_REQUEST'

  constructor(status: 400 | 413, message: string) {
    super(status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', message)
  }

  override get status(): 400 | 413 {
    return this.code === 'PAYLOAD_TOO_LARGE' ? 413 : 400
  }
}

export const badInput = (field: string, message: string, details?: Record<string, unknown>): ScopewardError =>
  new ScopewardError('BAD_USER_INPUT', message, details ? { field, details } : { field })

export const notFound = (what: string, id: string): ScopewardError => new ScopewardError('NOT_FOUND', `${what} ${JSON.stringify(id)} not found`)

/** A narrowing would leave derived tokens with no scope at all: refused, nothing written. */
export class EmptiedTokensError extends ScopewardError {
  constructor(readonly ids: string[]) {
    super('EMPTIED_TOKENS', `narrowing would leave ${ids.join(', ')} with no scope`)
  }
}
