import { GraphQLError } from 'graphql'
import { redactSecrets } from './text.js'

/** Every error code Scopeward answers with, and the HTTP status it maps to when it decides a whole request. */
export const ERROR_STATUS = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  INTERNAL_SERVER_ERROR: 500,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS

/**
 * The one error class of the domain. `message` is safe to show a client; `field` names the
 * offending input, `details` carries machine-readable extras (never a secret).
 */
export class ScopewardError extends Error {
  readonly code: ErrorCode
  readonly field: string | undefined
  readonly details: Record<string, unknown> | undefined

  constructor(code: ErrorCode, message: string, options: { field?: string; details?: Record<string, unknown> } = {}) {
    // Messages echo inputs; a secret pasted where an id was expected must not come back.
    super(redactSecrets(message))
    this.name = 'ScopewardError'
    this.code = code
    this.field = options.field
    this.details = options.details
  }
}

export const badInput = (field: string, message: string, details?: Record<string, unknown>): ScopewardError =>
  new ScopewardError('BAD_USER_INPUT', message, details ? { field, details } : { field })

export const notFound = (what: string, id: string): ScopewardError => new ScopewardError('NOT_FOUND', `${what} ${JSON.stringify(id)} not found`)

/** Converts a domain error to the GraphQL error a client sees; anything else is masked by the server. */
export function toGraphQLError(error: ScopewardError): GraphQLError {
  return new GraphQLError(error.message, {
    extensions: { code: error.code, ...(error.field ? { field: error.field } : {}), ...error.details },
  })
}
