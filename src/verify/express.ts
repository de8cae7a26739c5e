import { refusalOf, bearerToken, unmapped, UNAVAILABLE, type Refusal } from './bearer.js'
import type { Verification, Verifier, VerifyOptions } from './create-verifier.js'

/** The parts of an Express (4 or 5) request and response the middleware uses: no dependency on Express itself. */
interface ExpressRequest {
  headers: Record<string, string | string[] | undefined>
  ip?: string | undefined
  auth?: Verification
}
interface ExpressResponse {
  status(code: number): this
  set(headers: Record<string, string>): this
  json(body: unknown): unknown
}

export interface MiddlewareOptions {
  requiredScopes?: VerifyOptions['requiredScopes']
  /** The address the caller came from (default `req.ip`, which honours Express's `trust proxy`). */
  clientAddress?: (req: ExpressRequest) => string | undefined
}

/**
 * Express middleware: verifies the request's bearer token and sets `req.auth` (the Verification),
 * or answers 401/403/429 (RFC 6750 §3), or 503 when Scopeward cannot be reached. Never lets an
 * unverified request through.
 */
export function requireToken(verifier: Verifier, options: MiddlewareOptions = {}) {
  return (req: ExpressRequest, res: ExpressResponse, next: (error?: unknown) => void): void => {
    const send = (refusal: Refusal): void => void res.status(refusal.status).set(refusal.headers).json(refusal.body)
    const token = bearerToken(req.headers.authorization)
    if (token === null) return send(refusalOf(null) as Refusal)
    const clientAddress = options.clientAddress ? options.clientAddress(req) : req.ip
    verifier
      .verify(token, { ...(options.requiredScopes ? { requiredScopes: options.requiredScopes } : {}), ...(clientAddress ? { clientAddress: unmapped(clientAddress) } : {}) })
      .then(
        (verification) => {
          const refusal = refusalOf(verification)
          if (refusal) return send(refusal)
          req.auth = verification
          next()
        },
        () => send(UNAVAILABLE),
      )
  }
}
