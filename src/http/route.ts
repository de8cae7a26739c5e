import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AuthFailure } from '../domain/authenticate.js'
import type { Domain, Principal } from '../domain/context.js'
import type { JwtVerifier } from '../domain/authenticate.js'
import type { Logger } from '../logger.js'
import type { RateLimiter } from '../auth/rate-limiter.js'
import type { AuthRequest } from '../auth/request.js'

/** What every route handler gets besides the request: the domain and facts about this request. */
export interface RouteContext {
  domain: Domain & { jwtVerifier?: JwtVerifier | undefined }
  url: URL
  requestId: string
  ip: string | null
  logger: Logger
  bodyLimitBytes: number
  /** Set by a route once a caller is authenticated, for the request log. */
  principal: Principal | null
  onAuthFailure: (reason: AuthFailure) => void
  /** Throttles POST /oauth/token per client id. */
  tokenLimiter?: RateLimiter | undefined
}

export type Route = (req: IncomingMessage, res: ServerResponse, rc: RouteContext) => Promise<void>

/** The request as authentication policies see it (src/auth/request.ts). */
export function authRequestOf(req: IncomingMessage, rc: RouteContext): AuthRequest {
  return { ip: rc.ip, requestId: rc.requestId, method: req.method ?? 'GET', path: rc.url.pathname }
}
