import type { IncomingMessage } from 'node:http'
import { authenticateClient, type AuthenticatedClient } from '../domain/client-secrets.js'
import type { Domain } from '../domain/context.js'
import { bearerToken } from './bearer.js'
import { OAuthError } from './oauth-error.js'

/** Who calls an OAuth endpoint: nobody, an app by its client credentials, or the holder of a bearer token (not yet checked). */
export type Caller = { kind: 'none' } | ({ kind: 'client'; basic: boolean } & AuthenticatedClient) | { kind: 'bearer'; presented: string }

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64, so `+` is a space and `%XX` an octet. */
function formDecode(part: string): string {
  return decodeURIComponent(part.replace(/\+/g, ' '))
}

function parseBasic(value: string): { clientId: string; secret: string } | null {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(value)
  if (!match) return null
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return null
  try {
    return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) }
  } catch {
    return null
  }
}

/**
 * Authenticates the caller of an OAuth endpoint by HTTP Basic or by `client_id`/`client_secret` in
 * the form (never both: RFC 6749 §2.3 allows one method per request), or notes a bearer token when
 * `allowBearer`. Bad credentials are `invalid_client`, all alike, whatever was wrong. `beforeCheck`
 * gets the client id exactly as it will be authenticated, before the secret is checked.
 */
export async function authenticateCaller(domain: Domain, req: IncomingMessage, form: Map<string, string>, options: { allowBearer: boolean; beforeCheck?: (clientId: string) => void }): Promise<Caller> {
  const header = req.headers.authorization
  const formSecret = form.get('client_secret')
  const formId = form.get('client_id')
  if (header !== undefined) {
    if (/^Basic /i.test(header)) {
      if (formSecret !== undefined) throw new OAuthError('invalid_request', 'use one client authentication method: HTTP Basic or client_secret in the form, not both')
      const basic = parseBasic(header)
      if (!basic) throw new OAuthError('invalid_client', 'client authentication failed', true)
      if (formId !== undefined && formId !== basic.clientId) throw new OAuthError('invalid_request', 'client_id in the form differs from the one in HTTP Basic')
      // The client id as decoded here is the one checked: a throttle keyed on anything else could be sidestepped by re-encoding it.
      options.beforeCheck?.(basic.clientId)
      const client = await authenticateClient(domain, basic.clientId, basic.secret)
      if (!client) throw new OAuthError('invalid_client', 'client authentication failed', true)
      return { kind: 'client', ...client, basic: true }
    }
    if (options.allowBearer && /^Bearer /i.test(header)) {
      if (formSecret !== undefined) throw new OAuthError('invalid_request', 'use one authentication method, not both')
      const presented = bearerToken(req.headers)
      if (!presented) throw new OAuthError('invalid_client', 'client authentication failed')
      return { kind: 'bearer', presented }
    }
    throw new OAuthError('invalid_client', 'unsupported authentication scheme')
  }
  if (formSecret !== undefined || formId !== undefined) {
    if (formId === undefined || formSecret === undefined) throw new OAuthError('invalid_client', 'client authentication failed: client_id and client_secret are both required')
    options.beforeCheck?.(formId)
    const client = await authenticateClient(domain, formId, formSecret)
    if (!client) throw new OAuthError('invalid_client', 'client authentication failed')
    return { kind: 'client', ...client, basic: false }
  }
  return { kind: 'none' }
}
