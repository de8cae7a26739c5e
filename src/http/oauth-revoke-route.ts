import type { IncomingMessage, ServerResponse } from 'node:http'
import { authenticate } from '../domain/authenticate.js'
import { tokenCall } from '../domain/actor.js'
import { revokeToken } from '../domain/revoke-token.js'
import { requiredTokenParameter } from '../auth/credentials.js'
import { authenticateCaller } from './client-auth.js'
import { withOAuthErrors } from './oauth-error.js'
import { readForm } from './read-form.js'
import { sendJson } from './respond.js'
import { authRequestOf, type RouteContext } from './route.js'

/**
 * POST /oauth/revoke (RFC 7009). Possession of a token is enough to revoke it, with or without
 * client authentication: whoever finds a leaked token can kill it (as GitHub's revocation API
 * allows). Client credentials, when sent, must be valid. The answer is 200 whatever the token was
 * (§2.2); `token_type_hint` is ignored, since one lookup covers every kind. Revocation cascades to
 * derived tokens and is audited, through the same domain call as the GraphQL mutation.
 */
export const oauthRevokeRoute = withOAuthErrors(async (req: IncomingMessage, res: ServerResponse, rc: RouteContext): Promise<void> => {
  const form = readForm(req, rc.body)
  await authenticateCaller(rc.domain, req, form, { allowBearer: false })
  const presented = requiredTokenParameter(form, 'token')
  const result = await authenticate(rc.domain, presented, authRequestOf(req, rc), 'revoked')
  if (result.ok) {
    rc.principal = result.principal
    // The token revokes itself: it is the actor of the audit event.
    await revokeToken(rc.domain, tokenCall(result.principal, { requestId: rc.requestId, ip: rc.ip }), result.principal.token.id, 'revoked through /oauth/revoke')
  }
  sendJson(res, 200, {})
})
