import { unwrapResolverError } from '@apollo/server/errors'
import type { GraphQLFormattedError } from 'graphql'
import { answerFor, isClientGraphQLCode } from '../error-responses.js'
import { ScopewardError } from '../errors.js'
import type { Logger } from '../logger.js'
import { withoutSuggestions } from './client-documents.js'
import { redactSecrets } from '../text.js'

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
    if (original instanceof ScopewardError) {
      const answer = answerFor(original)
      if (answer.expected) return { message: answer.message, ...(formatted.path ? { path: formatted.path } : {}), extensions: { code: answer.code, ...answer.extensions } }
    }
    const code = formatted.extensions?.code
    // Apollo marks some client mistakes only by an HTTP 4xx (an APQ hash that does not match its query): BAD_REQUEST, not a 500.
    const extensions = (original as { extensions?: { code?: unknown; http?: { status?: unknown } } } | null)?.extensions
    const status = extensions?.http?.status
    if (extensions?.code === undefined && typeof status === 'number' && status >= 400 && status < 500) {
      return { message: redactSecrets(formatted.message), ...(formatted.path ? { path: formatted.path } : {}), extensions: { code: 'BAD_REQUEST' } }
    }
    if (isClientGraphQLCode(code)) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {}
      // graphql-js quotes offending values ("Expected value of type Int, found ..."): never a secret.
      return { ...formatted, message: redactSecrets(withoutSuggestions(formatted.message, suggestions)), extensions }
    }
    logger.error({ err: original }, 'unexpected error in GraphQL execution')
    return { message: 'Internal server error', ...(formatted.path ? { path: formatted.path } : {}), extensions: { code: 'INTERNAL_SERVER_ERROR' } }
  }
}
