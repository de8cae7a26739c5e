import { HeaderMap, type ApolloServerPlugin } from '@apollo/server'
import { GraphQLError } from 'graphql'
import { checkOperation, type OperationCheck } from './check-operation.js'
import { deniedMessage } from './errors.js'
import { heldScopesOf, metadataOf } from './metadata.js'
import { missingScopes, type Requirement } from './requirement.js'

/**
 * Apollo Server 5 plugin: checks each operation before execution. Mutations and subscriptions
 * (and queries in `reject` mode) with any denied field are refused whole — nothing executes —
 * with HTTP 403 (401 without a caller); queries in `filter` mode run and get `null` plus an error
 * at each denied path. Sets `X-Accepted-OAuth-Scopes` and, for a caller, `X-OAuth-Scopes`.
 * `mode` defaults to the one given to `applyScopeDirectives` (itself defaulting to `filter`).
 */
export function scopeAuthorizationPlugin(options: { mode?: 'filter' | 'reject' } = {}): ApolloServerPlugin<any> {
  return {
    // eslint-disable-next-line @typescript-eslint/require-await -- Apollo types this hook as promise-returning
    async requestDidStart() {
      return {
        // eslint-disable-next-line @typescript-eslint/require-await -- Apollo types this hook as promise-returning
        async didResolveOperation({ request, document, operation, operationName, contextValue, schema, response }) {
          // No operation to run (several operations and no operationName): Apollo answers 400 and executes nothing.
          if (operation === undefined) return
          const check = checkOperation({ schema, document, operationName, variableValues: request.variables ?? null, contextValue })
          const metadata = metadataOf(schema)
          const held = heldScopesOf(metadata, contextValue)
          // GitHub's headers: what the operation accepts, and what the token holds.
          response.http.headers.set('x-accepted-oauth-scopes', acceptedScopesHeader(check.requirement))
          if (held.raw !== null) response.http.headers.set('x-oauth-scopes', held.raw.join(', '))
          const mode = options.mode ?? metadata.mode
          if (check.denied.length === 0 || (check.operationType === 'query' && mode === 'filter')) return
          // Atomic: a refused mutation must not half-run (graphql-shield #366).
          throw operationDeniedError(check, missingScopes(check.requirement, held.closed, held.index))
        },
      }
    },
  }
}

/**
 * `X-Accepted-OAuth-Scopes`: scopes of one alternative joined by ", " (GitHub's format), and
 * alternatives separated by "; " (as GitHub's `x-accepted-github-permissions`). Empty when
 * the operation needs no scope.
 */
export function acceptedScopesHeader(requirement: Requirement): string {
  return requirement
    .filter((alt) => alt.length > 0)
    .map((alt) => alt.join(', '))
    .join('; ')
}

function operationDeniedError(check: OperationCheck, missing: readonly string[]): GraphQLError {
  const first = check.denied[0]
  const unauthenticated = !check.authenticated
  // RFC 6750 §3.1: no credentials → 401 and a bare challenge; too few scopes → 403 insufficient_scope.
  const challenge = unauthenticated ? 'Bearer' : `Bearer error="insufficient_scope", scope="${missing.join(' ')}"`
  return new GraphQLError(first === undefined ? 'Not authorized' : deniedMessage(first), {
    extensions: {
      code: unauthenticated ? 'UNAUTHENTICATED' : 'FORBIDDEN',
      requiredScopes: check.requirement,
      missingScopes: missing,
      denied: check.denied.map((d) => ({
        path: d.path,
        coordinate: d.coordinate,
        requiredScopes: d.requiredScopes,
        missingScopes: d.missingScopes,
        reason: d.reason,
      })),
      http: { status: unauthenticated ? 401 : 403, headers: new HeaderMap([['www-authenticate', challenge]]) },
    },
  })
}
