import { unwrapResolverError } from '@apollo/server/errors'
import type { GraphQLFormattedError } from 'graphql'
import { ScopewardError } from '../errors.js'
import type { Logger } from '../logger.js'
import { withoutSuggestions } from './client-documents.js'
import { redactSecrets } from '../text.js'

/** Codes whose messages are written for clients; anything else is masked. */
const CLIENT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
])

/**
 * Apollo's formatError: domain errors become their code and message; known GraphQL errors pass;
 * anything unexpected is logged and masked, so no internal detail or stack trace leaves the server.
 * Without `suggestions`, graphql-js's "Did you mean …?" is cut from every message (validation and
 * variable coercion alike): with introspection off it would reveal fields, arguments and enum values.
 */
export function formatError(logger: Logger, options: { suggestions?: boolean } = {}) {
  const suggestions = options.suggestions ?? false
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error)
    if (original instanceof ScopewardError && original.code !== 'INTERNAL_SERVER_ERROR') {
      return {
        message: original.message,
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: { code: original.code, ...(original.field ? { field: original.field } : {}), ...original.details },
      }
    }
    const code = formatted.extensions?.code
    // Apollo marks some client mistakes only by an HTTP 4xx (an APQ hash that does not match its query): BAD_REQUEST, not a 500.
    const extensions = (original as { extensions?: { code?: unknown; http?: { status?: unknown } } } | null)?.extensions
    const status = extensions?.http?.status
    if (extensions?.code === undefined && typeof status === 'number' && status >= 400 && status < 500) {
      return { message: redactSecrets(formatted.message), ...(formatted.path ? { path: formatted.path } : {}), extensions: { code: 'BAD_REQUEST' } }
    }
    if (typeof code === 'string' && CLIENT_CODES.has(code)) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {}
      // graphql-js quotes offending values ("Expected value of type Int, found ..."): never a secret.
      return { ...formatted, message: redactSecrets(withoutSuggestions(formatted.message, suggestions)), extensions }
    }
    logger.error({ err: original }, 'unexpected error in GraphQL execution')
    return { message: 'Internal server error', ...(formatted.path ? { path: formatted.path } : {}), extensions: { code: 'INTERNAL_SERVER_ERROR' } }
  }
}
