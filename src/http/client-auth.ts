import type { IncomingMessage } from 'node:http'
import { parseOAuthCredential } from '../auth/credentials.js'
import { authenticateClient, type AuthenticatedClient } from '../domain/client-secrets.js'
import type { Domain } from '../domain/context.js'
import { OAuthError } from './oauth-error.js'

/** Who calls an OAuth endpoint: nobody, an app by its client credentials, or the holder of a bearer token (not yet checked). */
export type Caller = { kind: 'none' } | ({ kind: 'client'; basic: boolean } & AuthenticatedClient) | { kind: 'bearer'; presented: string }

/**
 * Authenticates the caller of an OAuth endpoint from the credential src/auth/credentials.ts parsed.
 * Bad client credentials are `invalid_client`, all alike, whatever was wrong. `beforeCheck` gets
 * the client id exactly as it will be authenticated, before the secret is checked (it may throw, e.g. RateLimited).
 */
export async function authenticateCaller(
  domain: Domain,
  req: IncomingMessage,
  form: Map<string, string>,
  options: { allowBearer: boolean; beforeCheck?: (clientId: string) => void | Promise<void> },
): Promise<Caller> {
  const credential = parseOAuthCredential(req.headers.authorization, form, options)
  if (credential.kind !== 'client') return credential
  // The client id as decoded there is the one checked: a throttle keyed on anything else could be sidestepped by re-encoding it.
  await options.beforeCheck?.(credential.clientId)
  const client = await authenticateClient(domain, credential.clientId, credential.secret)
  if (!client) throw new OAuthError('invalid_client', 'client authentication failed', credential.basic)
  return { kind: 'client', ...client, basic: credential.basic }
}
