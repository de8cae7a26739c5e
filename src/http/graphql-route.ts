import type { IncomingMessage, ServerResponse } from 'node:http'
import { HeaderMap, type ApolloServer } from '@apollo/server'
import { authenticate, type AuthFailure } from '../domain/authenticate.js'
import type { Principal } from '../domain/context.js'
import { createGraphQLContext, type GraphQLContext } from '../graphql/context.js'
import type { GraphQLSchema } from 'graphql'
import { parseBearer } from '../auth/credentials.js'
import { parseJson } from './read-body.js'
import { SECURITY_HEADERS, sendJson } from './respond.js'
import { answerFor, graphqlErrorBody } from '../error-responses.js'
import { ScopewardError } from '../errors.js'
import { authRequestOf, type RouteContext } from './route.js'

/** RFC 6750 §3.1: an invalid token is refused whole, whatever the operation asks. */
const INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token", error_description="The access token is invalid, expired or revoked"'
/** A token outside its allowlist: its holder may learn why (its secret was right), never a stranger. */
const WRONG_ADDRESS_CHALLENGE = 'Bearer error="invalid_token", error_description="The access token is not valid from this address"'

/** A refusal decided before Apollo runs, answered as GraphQL errors are: status and body from `answerFor` (src/error-responses.ts). */
function refuse(res: ServerResponse, error: ScopewardError, headers: Record<string, string> = {}): void {
  const answer = answerFor(error)
  sendJson(res, answer.status, graphqlErrorBody(answer), { ...answer.headers, ...headers })
}

/**
 * POST/GET /graphql: authenticates the bearer token (401 for any invalid one), then hands the
 * request to Apollo Server with the caller in the context. The directive plugin decides 403s.
 */
export function graphqlRoute(apollo: ApolloServer<GraphQLContext>, schema: GraphQLSchema, maxQueryLength = Infinity) {
  return async (req: IncomingMessage, res: ServerResponse, rc: RouteContext): Promise<void> => {
    let principal: Principal | null = null
    const presented = parseBearer(req.headers.authorization)
    if (presented !== undefined) {
      const result = presented === null ? { ok: false as const, reason: 'malformed' as AuthFailure } : await authenticate(rc.domain, presented, authRequestOf(req, rc))
      if (!result.ok) {
        rc.onAuthFailure(result.reason, presented ?? undefined)
        if (result.reason === 'address_not_allowed') {
          refuse(res, new ScopewardError('UNAUTHENTICATED', 'Invalid token: not valid from this address'), { 'www-authenticate': WRONG_ADDRESS_CHALLENGE })
          return
        }
        refuse(res, new ScopewardError('UNAUTHENTICATED', 'Invalid token: it is malformed, unknown, expired or revoked, or its app is disabled'), {
          'www-authenticate': INVALID_TOKEN_CHALLENGE,
        })
        return
      }
      principal = result.principal
      rc.principal = principal
      rc.domain.usage.touch(principal.token.id)
    }
    const body = req.method === 'POST' ? rc.body : ''
    const contentType = req.headers['content-type'] ?? ''
    const headers = new HeaderMap()
    const incoming = req.headers
    for (const key in incoming) {
      const value = incoming[key]
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value)
    }
    const parsedBody = req.method === 'POST' && /json/i.test(contentType) ? parseJson(body) : body
    const query = req.method === 'POST' ? (parsedBody as { query?: unknown } | null)?.query : rc.url.searchParams.get('query')
    // Checked before parsing: the parser's work grows with the text.
    if (typeof query === 'string' && query.length > maxQueryLength) {
      refuse(res, new ScopewardError('BAD_REQUEST', `query is ${query.length} characters; the limit is ${maxQueryLength}`))
      return
    }
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: req.method ?? 'GET',
        headers,
        // A target without a query string has an empty search: no URL is parsed for it.
        search: req.url?.includes('?') ? rc.url.search : '',
        body: parsedBody,
      },
      // eslint-disable-next-line @typescript-eslint/require-await -- Apollo's context function returns a promise
      context: async () => createGraphQLContext({ domain: rc.domain, principal, request: { requestId: rc.requestId, ip: rc.ip }, schema }),
    })
    const out: Record<string, string | number> = { ...SECURITY_HEADERS }
    for (const [key, value] of response.headers) out[key] = value
    // The scopes the token can exercise now (its own within the app's current ceiling), as GitHub does.
    if (principal) out['x-oauth-scopes'] = principal.held.join(', ')
    const status = response.status ?? 200
    if (response.body.kind === 'complete') {
      // One writeHead (merged with the headers the server set: request id, CORS) rather than a setHeader per header.
      const text = response.body.string
      out['content-length'] = Buffer.byteLength(text)
      res.writeHead(status, out)
      res.end(text)
    } else {
      res.statusCode = status
      for (const [key, value] of Object.entries(out)) res.setHeader(key, value)
      for await (const chunk of response.body.asyncIterator) res.write(chunk)
      res.end()
    }
  }
}
