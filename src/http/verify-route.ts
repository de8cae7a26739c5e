import type { IncomingMessage, ServerResponse } from 'node:http'
import { isIP } from 'node:net'
import { MAX_TOKEN_LENGTH } from '../auth/failure.js'
import { MAX_SCOPE_NAME_LENGTH, SCOPE_NAME_RE } from '../domain/scope-rules.js'
import { verifyToken } from '../domain/verify-token.js'
import { authenticateIntrospector } from './introspector-auth.js'
import { readJsonObject, V1Error, withV1Errors } from './v1-errors.js'
import { sendJson } from './respond.js'
import { authRequestOf, type RouteContext } from './route.js'
import type { TokenAuthority } from '../tokens/token-authority.js'

/** Bounds on `requiredScopes`: enough for any real requirement, small enough that checking it is free. */
const MAX_ALTERNATIVES = 20
const MAX_SCOPES_PER_ALTERNATIVE = 20
const FIELDS = new Set(['token', 'requiredScopes', 'clientAddress', 'audience'])

interface VerifyRequest {
  token: string
  requiredScopes: string[][] | null
  clientAddress: string | null
  audience: string | null
}

/** The body of POST /v1/verify, checked field by field: anything malformed is a 400 naming the field. */
export function parseVerifyRequest(req: IncomingMessage, body: string): VerifyRequest {
  const input = readJsonObject(req, body)
  for (const key of Object.keys(input)) if (!FIELDS.has(key)) throw new V1Error('invalid_request', `${key.slice(0, 50)}: unknown field`, key.slice(0, 50))
  const { token, requiredScopes, clientAddress, audience } = input
  if (typeof token !== 'string' || token.length === 0) throw new V1Error('invalid_request', 'token: required, a non-empty string', 'token')
  if (token.length > MAX_TOKEN_LENGTH) throw new V1Error('invalid_request', `token: longer than ${MAX_TOKEN_LENGTH} characters`, 'token')
  if (audience !== undefined && audience !== null && (typeof audience !== 'string' || audience.length === 0 || audience.length > 200))
    throw new V1Error('invalid_request', 'audience: a non-empty string of at most 200 characters (your resource URI)', 'audience')
  return { token, requiredScopes: parseRequiredScopes(requiredScopes), clientAddress: parseAddress(clientAddress), audience: typeof audience === 'string' ? audience : null }
}

function parseRequiredScopes(value: unknown): string[][] | null {
  if (value === undefined || value === null) return null
  const field = 'requiredScopes'
  if (!Array.isArray(value) || value.length > MAX_ALTERNATIVES)
    throw new V1Error('invalid_request', `${field}: a list of at most ${MAX_ALTERNATIVES} alternatives, each a list of scope names`, field)
  return value.map((alternative: unknown, i) => {
    if (!Array.isArray(alternative) || alternative.length === 0 || alternative.length > MAX_SCOPES_PER_ALTERNATIVE)
      throw new V1Error('invalid_request', `${field}[${i}]: a non-empty list of at most ${MAX_SCOPES_PER_ALTERNATIVE} scope names`, field)
    return alternative.map((scope: unknown, j) => {
      if (typeof scope !== 'string' || scope.length > MAX_SCOPE_NAME_LENGTH || !SCOPE_NAME_RE.test(scope))
        throw new V1Error('invalid_request', `${field}[${i}][${j}]: not a scope name (expected ${SCOPE_NAME_RE.source})`, field)
      return scope
    })
  })
}

function parseAddress(value: unknown): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string' || isIP(value) === 0) throw new V1Error('invalid_request', 'clientAddress: an IPv4 or IPv6 address', 'clientAddress')
  return value.toLowerCase()
}

/**
 * POST /v1/verify: a resource server asks whether a token may make a request. The caller
 * authenticates as introspection's does (src/http/introspector-auth.ts); the token meets the
 * whole authentication chain as a bearer use, from `clientAddress` (src/domain/verify-token.ts).
 * A bad token is a 200 with `valid: false` and a stable code; a bad caller 401/403; a bad body 400.
 */
export function verifyRoute(authority: TokenAuthority) {
  return withV1Errors(async (req: IncomingMessage, res: ServerResponse, rc: RouteContext): Promise<void> => {
    const inspector = await authenticateIntrospector(req, rc, new Map(), 'verification')
    const input = parseVerifyRequest(req, rc.body)
    const request = authRequestOf(req, rc, input.clientAddress)
    const result = await verifyToken(rc.domain, inspector, input.token, {
      requiredScopes: input.requiredScopes,
      request,
      audience: input.audience,
      ownAudience: authority.audience(),
    })
    sendJson(res, 200, result)
  })
}
