import { refusalOf, bearerToken, unmapped, UNAVAILABLE, type Refusal } from './bearer.js'
import type { Verification, Verifier } from './create-verifier.js'
import type { MiddlewareOptions } from './express.js'

/** The parts of a Fastify request and reply the hook uses: no dependency on Fastify itself. */
interface FastifyLikeRequest {
  headers: Record<string, string | string[] | undefined>
  ip: string
  auth?: Verification
}
interface FastifyLikeReply {
  code(status: number): this
  headers(values: Record<string, string>): this
  send(body: unknown): unknown
}

/**
 * A Fastify `onRequest` (or `preHandler`) hook: verifies the bearer token and sets
 * `request.auth`, or answers 401/403/429, or 503 when Scopeward cannot be reached. Register it on
 * the routes it guards (`{ onRequest: verifyHook(verifier, { requiredScopes }) }`) or with
 * `app.addHook('onRequest', ...)`; declare `auth` on FastifyRequest (`app.decorateRequest('auth', null)`).
 */
export function verifyHook(verifier: Verifier, options: Omit<MiddlewareOptions, 'clientAddress'> & { clientAddress?: (req: FastifyLikeRequest) => string | undefined } = {}) {
  return async (request: FastifyLikeRequest, reply: FastifyLikeReply): Promise<void> => {
    const send = (refusal: Refusal): void => void reply.code(refusal.status).headers(refusal.headers).send(refusal.body)
    const token = bearerToken(request.headers.authorization)
    if (token === null) return send(refusalOf(null) as Refusal)
    const clientAddress = options.clientAddress ? options.clientAddress(request) : request.ip
    let verification: Verification
    try {
      verification = await verifier.verify(token, {
        ...(options.requiredScopes ? { requiredScopes: options.requiredScopes } : {}),
        ...(clientAddress ? { clientAddress: unmapped(clientAddress) } : {}),
      })
    } catch {
      return send(UNAVAILABLE)
    }
    const refusal = refusalOf(verification)
    if (refusal) return send(refusal)
    request.auth = verification
  }
}
