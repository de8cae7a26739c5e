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
  /** Path parameters of the matched route (`/things/:id` gives `{ id }`). */
  params: Readonly<Record<string, string>>
  /** The request body as read by the server within its limit ('' when there is none). */
  body: string
  requestId: string
  ip: string | null
  /** This request's logger: its lines carry the request id, and the token id once one is authenticated. */
  logger: Logger
  bodyLimitBytes: number
  /** Set by a route once a caller is authenticated, for the request log (and the logger's token id). */
  principal: Principal | null
  /** Counts a refused credential toward the address's throttle and logs it; `presented` names the token in the log line when it can. */
  onAuthFailure: (reason: AuthFailure, presented?: string) => void
  /** Throttles POST /oauth/token per client id. */
  tokenLimiter?: RateLimiter | undefined
}

/** A route handler: it writes the Node response itself (the server hands it over from Fastify). */
export type Route = (req: IncomingMessage, res: ServerResponse, rc: RouteContext) => void | Promise<void>

/**
 * The request as authentication policies see it (src/auth/request.ts); the path is read from the URL
 * only if a policy asks. A class, not an object literal with a getter: V8 builds such a literal
 * afresh on every call, ~30× the cost of this one allocation (a few µs on every authenticated request).
 */
class RouteAuthRequest implements AuthRequest {
  readonly requestId: string
  readonly method: string
  // Private: the request is logged and audited by its fields, never with the route context.
  readonly #rc: RouteContext

  constructor(
    req: IncomingMessage,
    rc: RouteContext,
    readonly ip: string | null,
  ) {
    this.requestId = rc.requestId
    this.method = req.method ?? 'GET'
    this.#rc = rc
  }

  get path(): string {
    return this.#rc.url.pathname
  }
}

/** The request as authentication policies see it; `ip`: the client's address, when the caller names another than this request's (/v1/verify). */
export function authRequestOf(req: IncomingMessage, rc: RouteContext, ip: string | null = rc.ip): AuthRequest {
  return new RouteAuthRequest(req, rc, ip)
}

/** How a route reads its body: JSON/any text within the server's limit, or an OAuth form (16 KiB, refusals as RFC 6749 errors). */
export interface RouteOptions {
  body?: 'text' | 'form'
}
